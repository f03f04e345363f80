import { and, eq, inArray, isNotNull } from "drizzle-orm";
import { deleteByAccount, type ErasureRule, type ErasureScope } from "../db/erasure";
import { accounts, dataKeys, magicLinks, sessions } from "../db/schema";
import { all, exec, type Tx } from "../db/tx";
import { linksOf } from "./magicLinks";

/**
 * Whose data keys an erasure destroys: the account's, and those of pending sign-up links for its
 * address (each holds the address under a key of its own).
 */
export async function personalKeyOwners(
  tx: Tx,
  { accountId, emailIndex }: Pick<ErasureScope, "accountId" | "emailIndex">,
): Promise<string[]> {
  const signups = await all(
    tx
      .select({ id: magicLinks.id })
      .from(magicLinks)
      .where(and(linksOf(accountId, emailIndex), isNotNull(magicLinks.emailEnc))),
  );
  return [accountId, ...signups.map((l) => l.id)];
}

/**
 * Erasure of the account tables: sessions and magic links (also a pending link to the account's
 * address) go; the account row keeps only its id, status `erased` and dates.
 */
export const accountsErasure: ErasureRule[] = [
  {
    table: sessions,
    export: { sections: ["sessions"] },
    action: "delete",
    erase: deleteByAccount(sessions, sessions.accountId),
  },
  {
    // Erasure destroys these keys in a transaction of its own before this one (privacy/erasure.ts);
    // this catches a key made in between, such as a sign-up link requested meanwhile.
    table: dataKeys,
    export: { why: "a wrapped encryption key: the export carries the fields it decrypts, never the key" },
    action: "delete",
    erase: async (tx, scope) =>
      await exec(tx.delete(dataKeys).where(inArray(dataKeys.ownerId, await personalKeyOwners(tx, scope)))),
  },
  {
    table: magicLinks,
    export: { why: "a pending sign-in link: single-use, expiring within minutes, its secret stored only as a hash" },
    action: "delete",
    erase: async (tx, { accountId, emailIndex }) =>
      await exec(tx.delete(magicLinks).where(linksOf(accountId, emailIndex))),
  },
  {
    table: accounts,
    export: { sections: ["account", "consents"] },
    action: "scrub",
    erase: async (tx, { accountId, now }) => {
      return await exec(
        tx
          .update(accounts)
          .set({
            emailEnc: null,
            emailIndex: null,
            status: "erased",
            role: "user",
            ageConfirmedAt: null,
            policyVersion: null,
            policyAcceptedAt: null,
            verifiedAt: null,
            requireZdr: false,
            regions: null,
            updatedAt: now,
          })
          .where(eq(accounts.id, accountId)),
      );
    },
  },
];
