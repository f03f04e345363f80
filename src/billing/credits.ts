import type { Actor, AuditTrail } from "../audit/audit";
import type { Db } from "../db/client";
import type { Clock } from "../lib/clock";
import { eq } from "drizzle-orm";
import { accounts } from "../db/schema";
import { KrioraError } from "../lib/errors";
import { formatUsd } from "../lib/money";
import { TOMBSTONE_PREFIX } from "../lib/ids";
import type { Tx } from "../db/tx";
import { appendLedger, type LedgerRow } from "./ledger";
import { transaction, one } from "../db/tx";

/** The largest manual entry either way: a typo guard that also keeps every balance far below 2^53 micro-dollars. */
const MAX_MANUAL_MICROS = 1_000_000_000_000;

export interface CreditChange {
  accountId: string;
  /** `grant`: credits given (positive); `adjustment`: a correction either way. */
  kind: "grant" | "adjustment";
  amountMicros: number;
  reason: string;
}

/**
 * A manual ledger entry (`kriora credits grant|adjust`, the admin API), audited in the same
 * transaction. The reason is kept with the row for `billing_years`, so it must not carry personal
 * data: an address-like reason is refused, and the audit entry holds only ids and the amount.
 */
export async function changeCredits(
  deps: { db: Db; audit: AuditTrail; clock: Clock },
  change: CreditChange,
  actor: Actor,
): Promise<LedgerRow> {
  const reason = change.reason.trim();
  if (reason.length === 0 || reason.length > 200)
    throw new KrioraError("invalid_request", "A reason of 1 to 200 characters is required.", { param: "reason" });
  if (reason.includes("@"))
    throw new KrioraError(
      "invalid_request",
      "The reason is kept with billing records: leave out email addresses and other personal data.",
      { param: "reason" },
    );
  const wrongSign = change.kind === "grant" ? change.amountMicros <= 0 : change.amountMicros === 0;
  if (wrongSign)
    throw new KrioraError(
      "invalid_request",
      change.kind === "grant" ? "A grant must be positive." : "An adjustment cannot be zero.",
      { param: "amount" },
    );
  if (Math.abs(change.amountMicros) > MAX_MANUAL_MICROS)
    throw new KrioraError(
      "invalid_request",
      `A grant or adjustment is at most ${formatUsd(MAX_MANUAL_MICROS)} USD either way.`,
      { param: "amount" },
    );
  return await transaction(deps.db, async (tx) => {
    await refuseErased(tx, change.accountId);
    const row = (await appendLedger(tx, {
      accountId: change.accountId,
      at: deps.clock.now(),
      kind: change.kind,
      amountMicros: change.amountMicros,
      reason,
    }))!;
    await deps.audit.record(
      {
        actor,
        action: `billing.${change.kind}`,
        target: change.accountId,
        details: { ledger_id: row.id, amount_micros: row.amountMicros },
      },
      tx,
    );
    return row;
  });
}

/** An erased account (or the tombstone its records moved to) takes no new entries: 409. Callers resolve the id first. */
async function refuseErased(tx: Tx, accountId: string) {
  const row = await one(tx.select({ status: accounts.status }).from(accounts).where(eq(accounts.id, accountId)));
  if (row?.status === "erased" || accountId.startsWith(`${TOMBSTONE_PREFIX}_`))
    throw new KrioraError("conflict", "The account has been erased; its billing records are under legal hold.");
}
