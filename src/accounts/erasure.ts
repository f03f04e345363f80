import { eq, or } from "drizzle-orm";
import { deleteByAccount, type ErasureRule } from "../db/erasure";
import { accounts, magicLinks, sessions } from "../db/schema";
import { exec } from "../db/tx";

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
    table: magicLinks,
    export: { why: "a pending sign-in link: single-use, expiring within minutes, its secret stored only as a hash" },
    action: "delete",
    erase: async (tx, { accountId, emailIndex }) => {
      const linkMatch = emailIndex
        ? or(eq(magicLinks.accountId, accountId), eq(magicLinks.emailIndex, emailIndex))
        : eq(magicLinks.accountId, accountId);
      return await exec(tx.delete(magicLinks).where(linkMatch));
    },
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
