import { eq } from "drizzle-orm";
import type { Deps } from "../deps";
import type { Actor } from "../audit/audit";
import { accounts } from "../db/schema";
import { KrioraError } from "../lib/errors";
import { requireLiveAccount, type AccountRow } from "./accounts";

/** Suspend: every credential of the account is refused from the next request on. */
export function suspendAccount(deps: Deps, id: string, actor: Actor): AccountRow {
  return changeStatus(deps, id, actor, "suspend", (row) => {
    if (row.status === "suspended") throw new KrioraError("conflict", "The account is already suspended.");
  });
}

export function unsuspendAccount(deps: Deps, id: string, actor: Actor): AccountRow {
  return changeStatus(deps, id, actor, "unsuspend", (row) => {
    if (row.status !== "suspended") throw new KrioraError("conflict", "The account is not suspended.");
  });
}

function changeStatus(deps: Deps, id: string, actor: Actor, action: "suspend" | "unsuspend", guard: (row: AccountRow) => void): AccountRow {
  const row = deps.db.transaction((tx) => {
    guard(requireLiveAccount(tx, id));
    const status = action === "suspend" ? "suspended" : "active";
    const updated = tx.update(accounts).set({ status, updatedAt: deps.clock.now() }).where(eq(accounts.id, id)).returning().get()!;
    deps.audit.record({ actor, action: `account.${action}`, target: id }, tx);
    return updated;
  });
  deps.authView.refreshAccount(id);
  return row;
}

/** What an account holder may change about their own account (`PATCH /account`): nothing else. */
export interface AccountSettings {
  requireZdr?: boolean;
  regions?: string[] | null;
}

export function updateAccountSettings(deps: Deps, id: string, settings: AccountSettings, actor: Actor): AccountRow {
  const row = deps.db.transaction((tx) => {
    requireLiveAccount(tx, id);
    const updated = tx
      .update(accounts)
      .set({ requireZdr: settings.requireZdr, regions: settings.regions, updatedAt: deps.clock.now() })
      .where(eq(accounts.id, id))
      .returning()
      .get()!;
    deps.audit.record({ actor, action: "account.update", target: id, details: { require_zdr: updated.requireZdr, regions: updated.regions?.join(",") ?? null } }, tx);
    return updated;
  });
  deps.authView.refreshAccount(id);
  return row;
}
