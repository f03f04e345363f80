import { and, asc, eq, isNull, lt, sql } from "drizzle-orm";
import type { PrivacyDeps } from "./privacyDeps";
import type { Actor } from "../audit/audit";
import type { Tx } from "../db/tx";
import { rightsRequests, type Right, type RightsOutcome } from "../db/schema";
import { addMonthsUtc, iso } from "../lib/clock";
import { KrioraError } from "../lib/errors";
import { newId } from "../lib/ids";
import { one, exec, all, transaction } from "../db/tx";

type RightsRow = typeof rightsRequests.$inferSelect;

export interface RightsRequestInfo {
  id: string;
  account_id: string;
  kind: Right;
  channel: "account" | "admin";
  scope: string | null;
  received_at: string;
  due_at: string;
  completed_at: string | null;
  outcome: RightsOutcome | null;
  overdue: boolean;
}

export function describeRequest(row: RightsRow, now: number): RightsRequestInfo {
  return {
    id: row.id,
    account_id: row.accountId,
    kind: row.kind,
    channel: row.channel,
    scope: row.scope,
    received_at: iso(row.receivedAt),
    due_at: iso(row.dueAt),
    completed_at: row.completedAt === null ? null : iso(row.completedAt),
    outcome: row.outcome,
    overdue: row.completedAt === null && row.dueAt < now,
  };
}

/** The person asking over HTTP is `account:<id>`; anyone else acts for them as an admin. */
const channelOf = (actor: Actor) => (actor.startsWith("account:") ? "account" : "admin");

/**
 * Record a request as received now, due one calendar month later (GDPR Art. 12(3); 31 January →
 * 28 or 29 February). `done` completes it at once, for rights that are carried out on the spot.
 */
export async function recordRequest(
  deps: Pick<PrivacyDeps, "clock">,
  tx: Tx,
  input: { accountId: string; kind: Right; actor: Actor; scope?: string; done?: boolean },
): Promise<RightsRow> {
  const now = deps.clock.now();
  return await one(
    tx
      .insert(rightsRequests)
      .values({
        id: newId("dsr"),
        accountId: input.accountId,
        kind: input.kind,
        channel: channelOf(input.actor),
        scope: input.scope ?? null,
        receivedAt: now,
        dueAt: addMonthsUtc(now, 1),
        completedAt: input.done ? now : null,
        outcome: input.done ? "done" : null,
      })
      .returning(),
  );
}

export async function completeRequest(
  deps: Pick<PrivacyDeps, "clock">,
  tx: Tx,
  id: string,
  outcome: RightsOutcome,
): Promise<void> {
  await exec(
    tx
      .update(rightsRequests)
      .set({ completedAt: deps.clock.now(), outcome })
      .where(and(eq(rightsRequests.id, id), isNull(rightsRequests.completedAt))),
  );
}

/** A request answered on the spot whose answer could not be produced after all (an export that threw). */
export async function markRequestFailed(deps: Pick<PrivacyDeps, "db" | "clock">, id: string): Promise<void> {
  await exec(
    deps.db
      .update(rightsRequests)
      .set({ completedAt: deps.clock.now(), outcome: "failed" })
      .where(eq(rightsRequests.id, id)),
  );
}

/** The ledger, oldest first; `overdue` keeps only open requests past their due date. */
export async function listRequests(
  deps: Pick<PrivacyDeps, "db" | "clock">,
  opts: { overdue?: boolean; accountId?: string } = {},
): Promise<RightsRequestInfo[]> {
  const now = deps.clock.now();
  const where = and(
    opts.accountId === undefined ? undefined : eq(rightsRequests.accountId, opts.accountId),
    opts.overdue ? and(isNull(rightsRequests.completedAt), lt(rightsRequests.dueAt, now)) : undefined,
  );
  return (
    await all(deps.db.select().from(rightsRequests).where(where).orderBy(asc(rightsRequests.receivedAt), sql`rowid`))
  ).map((r) => describeRequest(r, now));
}

/**
 * An admin's decision on an objection waiting for one (Art. 21(1): processing for legitimate
 * interests stops unless there are compelling grounds): the request is closed as upheld or dismissed.
 */
export async function decideObjection(
  deps: Pick<PrivacyDeps, "db" | "clock" | "audit">,
  id: string,
  outcome: "upheld" | "dismissed",
  actor: Actor,
): Promise<RightsRequestInfo> {
  const row = await transaction(deps.db, async (tx) => {
    const open = await one(tx.select().from(rightsRequests).where(eq(rightsRequests.id, id)));
    if (!open) throw new KrioraError("not_found", "No such request.");
    if (open.kind !== "object" || open.completedAt !== null)
      throw new KrioraError("conflict", "Only an open objection waits for a decision.");
    await completeRequest(deps, tx, id, outcome);
    await deps.audit.record(
      { actor, action: "rights.decide", target: open.accountId, details: { request: id, scope: open.scope, outcome } },
      tx,
    );
    return (await one(tx.select().from(rightsRequests).where(eq(rightsRequests.id, id))))!;
  });
  return describeRequest(row, deps.clock.now());
}
