import { eq } from "drizzle-orm";
import type { AccountDeps } from "./accountDeps";
import type { Actor } from "../audit/audit";
import { accounts, type SUSPENDABLE } from "../db/schema";
import { KrioraError } from "../lib/errors";
import { requireLiveAccount, type AccountRow } from "./accounts";
import { one, transaction } from "../db/tx";

type Suspendable = (typeof SUSPENDABLE)[number];
type StatusChange = Pick<AccountRow, "status" | "suspendedFrom">;

/**
 * Suspend: every credential of the account is refused from the next request on. The status it
 * had (active, or restricted under Art. 18) is kept beside it for the unsuspend.
 */
export function suspendAccount(deps: AccountDeps, id: string, actor: Actor): Promise<AccountRow> {
  return changeStatus(deps, id, actor, "suspend", (row) => {
    if (row.status === "suspended") throw new KrioraError("conflict", "The account is already suspended.");
    // requireLiveAccount has refused an erased account: what is left is active or restricted.
    return { status: "suspended", suspendedFrom: row.status as Suspendable };
  });
}

/** Unsuspend: back to the status before the suspension, so a restricted account stays restricted. */
export function unsuspendAccount(deps: AccountDeps, id: string, actor: Actor): Promise<AccountRow> {
  return changeStatus(deps, id, actor, "unsuspend", (row) => {
    if (row.status !== "suspended") throw new KrioraError("conflict", "The account is not suspended.");
    return { status: row.suspendedFrom ?? "active", suspendedFrom: null };
  });
}

async function changeStatus(
  deps: AccountDeps,
  id: string,
  actor: Actor,
  action: "suspend" | "unsuspend",
  next: (row: AccountRow) => StatusChange,
): Promise<AccountRow> {
  const row = await transaction(deps.db, async (tx) => {
    const before = await requireLiveAccount(tx, id);
    const change = next(before);
    const updated = (await one(
      tx
        .update(accounts)
        .set({ ...change, updatedAt: deps.clock.now() })
        .where(eq(accounts.id, id))
        .returning(),
    ))!;
    await deps.audit.record(
      { actor, action: `account.${action}`, target: id, details: { from: before.status, to: updated.status } },
      tx,
    );
    return updated;
  });
  await deps.authView.refreshAccount(id);
  return row;
}

/** What an account holder may change about their own account (`PATCH /account`): nothing else. */
interface AccountSettings {
  requireZdr?: boolean;
  regions?: string[] | null;
}

export async function updateAccountSettings(
  deps: AccountDeps,
  id: string,
  settings: AccountSettings,
  actor: Actor,
): Promise<AccountRow> {
  const row = await transaction(deps.db, async (tx) => {
    await requireLiveAccount(tx, id);
    const updated = (await one(
      tx
        .update(accounts)
        .set({ requireZdr: settings.requireZdr, regions: settings.regions, updatedAt: deps.clock.now() })
        .where(eq(accounts.id, id))
        .returning(),
    ))!;
    await deps.audit.record(
      {
        actor,
        action: "account.update",
        target: id,
        details: { require_zdr: updated.requireZdr, regions: updated.regions?.join(",") ?? null },
      },
      tx,
    );
    return updated;
  });
  await deps.authView.refreshAccount(id);
  return row;
}
