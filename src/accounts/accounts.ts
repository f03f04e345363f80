import { asc, eq } from "drizzle-orm";
import { iso, isoOrNull } from "../lib/clock";
import type { AccountDeps } from "./accountDeps";
import type { AccountInfo } from "./accountModel";
import type { Actor } from "../audit/audit";
import { readingLegacy, type DataKey } from "../crypto/dataKeys";
import { accounts, type AccountRole, magicLinks } from "../db/schema";
import type { Tx } from "../db/tx";
import { KrioraError } from "../lib/errors";
import { newId } from "../lib/ids";
import { emailIndex, normaliseEmail } from "./email";
import { one, all, transaction, exec } from "../db/tx";

export type AccountRow = typeof accounts.$inferSelect;

export const emailAt = (rowId: string) => ({ table: "accounts", column: "email_enc", rowId });

/**
 * The account's data key. Missing only for an erased account, or one whose erasure has destroyed
 * its key and not yet removed its rows: nothing personal can be read or written for it any more.
 */
export async function accountKey(
  deps: Pick<AccountDeps, "dataKeys" | "cipher">,
  tx: Tx,
  accountId: string,
): Promise<DataKey> {
  const key = await deps.dataKeys.get(tx, accountId);
  if (!key) throw new KrioraError("conflict", "The account has been erased.");
  return readingLegacy(key, deps.cipher);
}

export async function describeAccount(
  deps: Pick<AccountDeps, "db" | "dataKeys" | "cipher">,
  row: AccountRow,
): Promise<AccountInfo> {
  return {
    id: row.id,
    email:
      row.emailEnc === null ? null : (await accountKey(deps, deps.db, row.id)).decrypt(row.emailEnc, emailAt(row.id)),
    status: row.status,
    role: row.role,
    verified_at: isoOrNull(row.verifiedAt),
    age_confirmed_at: isoOrNull(row.ageConfirmedAt),
    policy_version: row.policyVersion,
    policy_accepted_at: isoOrNull(row.policyAcceptedAt),
    require_zdr: row.requireZdr,
    regions: row.regions,
    created_at: iso(row.createdAt),
  };
}

export function requireEmail(raw: string): string {
  const email = normaliseEmail(raw);
  if (!email) throw new KrioraError("invalid_request", "The email address is not valid.", { param: "email" });
  return email;
}

export async function findAccountByEmail(
  deps: Pick<AccountDeps, "db" | "cipher">,
  normalisedEmail: string,
): Promise<AccountRow | undefined> {
  return await one(
    deps.db
      .select()
      .from(accounts)
      .where(eq(accounts.emailIndex, emailIndex(deps.cipher, normalisedEmail))),
  );
}

export async function getAccount(deps: Pick<AccountDeps, "db">, id: string): Promise<AccountRow | undefined> {
  return await one(deps.db.select().from(accounts).where(eq(accounts.id, id)));
}

/** An account by id, or a 404. */
export async function requireAccount(deps: Pick<AccountDeps, "db">, id: string): Promise<AccountRow> {
  const row = await getAccount(deps, id);
  if (!row) throw new KrioraError("not_found", "No such account.");
  return row;
}

/** `<email|id>` as the CLI accepts it: an account id, or an address in any case and spacing. */
export async function resolveAccount(deps: Pick<AccountDeps, "db" | "cipher">, ref: string): Promise<AccountRow> {
  if (!ref.includes("@")) return requireAccount(deps, ref);
  const row = await findAccountByEmail(deps, requireEmail(ref));
  if (!row) throw new KrioraError("not_found", "No such account.");
  return row;
}

export async function listAccounts(deps: Pick<AccountDeps, "db">): Promise<AccountRow[]> {
  return await all(deps.db.select().from(accounts).orderBy(asc(accounts.createdAt), asc(accounts.id)));
}

interface NewAccount {
  email: string;
  role?: AccountRole;
  /** Sign-up: the minimum age confirmed and the policy version accepted (Policy §7, §15). */
  consent?: { ageConfirmedAt: number; policyVersion: string };
}

/** Create an account inside the caller's transaction; the email must be free. */
export async function insertAccount(
  deps: Pick<AccountDeps, "cipher" | "dataKeys" | "clock" | "audit">,
  tx: Tx,
  input: NewAccount,
  actor: Actor | ((id: string) => Actor),
): Promise<AccountRow> {
  const email = requireEmail(input.email);
  const index = emailIndex(deps.cipher, email);
  if (await one(tx.select({ id: accounts.id }).from(accounts).where(eq(accounts.emailIndex, index))))
    throw new KrioraError("conflict", "An account with this email already exists.", { param: "email" });
  const id = newId("acc");
  const now = deps.clock.now();
  const minted = deps.dataKeys.mint(id, now);
  const row = await one(
    tx
      .insert(accounts)
      .values({
        id,
        emailEnc: minted.key.encrypt(email, emailAt(id)),
        emailIndex: index,
        role: input.role ?? "user",
        ageConfirmedAt: input.consent?.ageConfirmedAt ?? null,
        policyVersion: input.consent?.policyVersion ?? null,
        policyAcceptedAt: input.consent ? now : null,
        createdAt: now,
        updatedAt: now,
      })
      .returning(),
  );
  await minted.save(tx);
  await deps.audit.record(
    {
      actor: typeof actor === "function" ? actor(id) : actor,
      action: "account.create",
      target: id,
      details: { role: row.role },
    },
    tx,
  );
  return row;
}

export async function createAccount(deps: AccountDeps, input: NewAccount, actor: Actor): Promise<AccountRow> {
  const row = await transaction(deps.db, async (tx) => insertAccount(deps, tx, input, actor));
  await deps.authView.refreshAccount(row.id);
  return row;
}

/**
 * Correct the address (Art. 16): re-encrypted for the row, re-indexed; refused if another account
 * has it. Sign-in links already mailed to the old address are revoked with it: whoever still
 * reads that mailbox must not keep a way into the account.
 */
export async function setAccountEmail(
  deps: AccountDeps,
  id: string,
  rawEmail: string,
  actor: Actor,
): Promise<AccountRow> {
  const email = requireEmail(rawEmail);
  const index = emailIndex(deps.cipher, email);
  return await transaction(deps.db, async (tx) => {
    await requireLiveAccount(tx, id);
    const owner = await one(tx.select({ id: accounts.id }).from(accounts).where(eq(accounts.emailIndex, index)));
    if (owner && owner.id !== id)
      throw new KrioraError("conflict", "Another account has this email.", { param: "email" });
    const row = (await one(
      tx
        .update(accounts)
        .set({
          emailEnc: (await accountKey(deps, tx, id)).encrypt(email, emailAt(id)),
          emailIndex: index,
          updatedAt: deps.clock.now(),
        })
        .where(eq(accounts.id, id))
        .returning(),
    ))!;
    await exec(tx.delete(magicLinks).where(eq(magicLinks.accountId, id)));
    await deps.audit.record({ actor, action: "account.set_email", target: id }, tx);
    return row;
  });
}

/** The account, unless it does not exist or has been erased (then there is nothing left to change). */
export async function requireLiveAccount(tx: Pick<AccountDeps["db"], "select">, id: string): Promise<AccountRow> {
  const row = await one(tx.select().from(accounts).where(eq(accounts.id, id)));
  if (!row) throw new KrioraError("not_found", "No such account.");
  if (row.status === "erased") throw new KrioraError("conflict", "The account has been erased.");
  return row;
}
