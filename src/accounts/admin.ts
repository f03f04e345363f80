import { and, eq, ne } from "drizzle-orm";
import { accounts } from "../db/schema";
import type { Actor } from "../audit/audit";
import type { Db } from "../db/client";
import type { AccountDeps } from "./accountDeps";
import type { AccountInfo } from "./accountModel";
import { describeAccount, listAccounts, resolveAccount } from "./accounts";

type AdminDeps = Pick<AccountDeps, "db" | "cipher" | "dataKeys" | "audit">;

/** An operator reading a person's account is itself audited (Policy §9 internal audit logs). */
export function showAccount(deps: AdminDeps, ref: string, actor: Actor): AccountInfo {
  const row = resolveAccount(deps, ref);
  deps.audit.record({ actor, action: "account.read", target: row.id });
  return describeAccount(deps, row);
}

export function listAccountsAudited(deps: AdminDeps, actor: Actor): AccountInfo[] {
  const rows = listAccounts(deps);
  deps.audit.record({ actor, action: "accounts.list", details: { count: rows.length } });
  return rows.map((row) => describeAccount(deps, row));
}

/** Whether any account that could sign in holds the admin role (serve explains the bootstrap when none does). */
export function hasAdmin(deps: { db: Db }): boolean {
  return (
    deps.db
      .select({ id: accounts.id })
      .from(accounts)
      .where(and(eq(accounts.role, "admin"), ne(accounts.status, "erased")))
      .limit(1)
      .get() !== undefined
  );
}
