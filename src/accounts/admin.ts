import type { Deps } from "../deps";
import type { Actor } from "../audit/audit";
import { describeAccount, listAccounts, resolveAccount, type AccountInfo } from "./accounts";

/** An operator reading a person's account is itself audited (Policy §9 internal audit logs). */
export function showAccount(deps: Deps, ref: string, actor: Actor): AccountInfo {
  const row = resolveAccount(deps, ref);
  deps.audit.record({ actor, action: "account.read", target: row.id });
  return describeAccount(deps.cipher, row);
}

export function listAccountsAudited(deps: Deps, actor: Actor): AccountInfo[] {
  const rows = listAccounts(deps);
  deps.audit.record({ actor, action: "accounts.list", details: { count: rows.length } });
  return rows.map((row) => describeAccount(deps.cipher, row));
}
