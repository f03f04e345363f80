import { and, eq, ne } from "drizzle-orm";
import { accounts } from "../db/schema";
import type { Actor } from "../audit/audit";
import type { Db } from "../db/client";
import type { AccountDeps } from "./accountDeps";
import type { AccountInfo } from "./accountModel";
import { describeAccount, listAccounts, resolveAccount } from "./accounts";
import { one } from "../db/tx";

type AdminDeps = Pick<AccountDeps, "db" | "cipher" | "dataKeys" | "audit">;

/** An operator reading a person's account is itself audited (Policy §9 internal audit logs). */
export async function showAccount(deps: AdminDeps, ref: string, actor: Actor): Promise<AccountInfo> {
  const row = await resolveAccount(deps, ref);
  await deps.audit.record({ actor, action: "account.read", target: row.id });
  return await describeAccount(deps, row);
}

export async function listAccountsAudited(deps: AdminDeps, actor: Actor): Promise<AccountInfo[]> {
  const rows = await listAccounts(deps);
  await deps.audit.record({ actor, action: "accounts.list", details: { count: rows.length } });
  return await Promise.all(rows.map((row) => describeAccount(deps, row)));
}

/** Whether any account that could sign in holds the admin role (serve explains the bootstrap when none does). */
export async function hasAdmin(deps: { db: Db }): Promise<boolean> {
  return (
    (await one(
      deps.db
        .select({ id: accounts.id })
        .from(accounts)
        .where(and(eq(accounts.role, "admin"), ne(accounts.status, "erased")))
        .limit(1),
    )) !== undefined
  );
}
