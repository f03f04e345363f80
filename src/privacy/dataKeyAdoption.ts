import { and, eq, isNotNull, isNull } from "drizzle-orm";
import { emailAt } from "../accounts/accounts";
import { signupEmailAt } from "../accounts/magicLinks";
import { isLegacyCiphertext, type DataKey } from "../crypto/dataKeys";
import type { FieldCipher, FieldLocation } from "../crypto/fields";
import type { Db } from "../db/client";
import type { DataKeys } from "../db/dataKeys";
import { all, exec, transaction } from "../db/tx";
import { accounts, dataKeys, emailChanges, magicLinks, usageEvents } from "../db/schema";
import type { Clock } from "../lib/clock";
import type { Logger } from "../lib/log";
import { usageIpLocation } from "../usage/writer";
import { changeAt } from "./rectify";

interface AdoptionDeps {
  db: Db;
  cipher: FieldCipher;
  dataKeys: DataKeys;
  clock: Clock;
  log: Logger;
}

/**
 * Databases from before per-account data keys hold every email and IP under the master-derived
 * field key. At start (serve, migrate, every CLI command) each account, and each pending sign-up
 * link, whose address is still under that key gets a data key of its own and its fields are
 * re-encrypted under it, one transaction per owner. Afterwards the query finds nothing, so later
 * starts cost one indexed query. An account whose key is gone but whose rows are not (an erasure
 * interrupted between its two steps) is left alone: its address is no longer readable by design.
 */
export async function adoptDataKeys(deps: AdoptionDeps): Promise<void> {
  const now = deps.clock.now();
  const keyless = (
    await all(
      deps.db
        .select({ id: accounts.id, emailEnc: accounts.emailEnc })
        .from(accounts)
        .leftJoin(dataKeys, eq(dataKeys.ownerId, accounts.id))
        .where(and(isNull(dataKeys.ownerId), isNotNull(accounts.emailEnc))),
    )
  ).filter((a) => isLegacyCiphertext(a.emailEnc!));
  let usageRows = 0;
  for (const account of keyless)
    await transaction(deps.db, async (tx) => {
      const minted = deps.dataKeys.mint(account.id, now);
      const move = (ciphertext: string, where: FieldLocation) => reencrypt(deps.cipher, minted.key, ciphertext, where);
      await exec(
        tx
          .update(accounts)
          .set({ emailEnc: move(account.emailEnc!, emailAt(account.id)) })
          .where(eq(accounts.id, account.id)),
      );
      for (const c of await all(tx.select().from(emailChanges).where(eq(emailChanges.accountId, account.id))))
        await exec(
          tx
            .update(emailChanges)
            .set({ emailEnc: move(c.emailEnc, changeAt(c.id)) })
            .where(eq(emailChanges.id, c.id)),
        );
      const ips = await all(
        tx
          .select({ id: usageEvents.id, ipEnc: usageEvents.ipEnc })
          .from(usageEvents)
          .where(and(eq(usageEvents.accountId, account.id), isNotNull(usageEvents.ipEnc))),
      );
      for (const u of ips)
        await exec(
          tx
            .update(usageEvents)
            .set({ ipEnc: move(u.ipEnc!, usageIpLocation(u.id)) })
            .where(eq(usageEvents.id, u.id)),
        );
      usageRows += ips.length;
      await minted.save(tx);
    });
  const signups = await adoptSignupLinks(deps, now);
  if (keyless.length > 0 || signups > 0)
    deps.log.info("data_keys_adopted", { accounts: keyless.length, usage_rows: usageRows, signup_links: signups });
}

async function adoptSignupLinks(deps: AdoptionDeps, now: number): Promise<number> {
  const links = (
    await all(
      deps.db
        .select({ id: magicLinks.id, emailEnc: magicLinks.emailEnc })
        .from(magicLinks)
        .leftJoin(dataKeys, eq(dataKeys.ownerId, magicLinks.id))
        .where(and(isNull(dataKeys.ownerId), isNotNull(magicLinks.emailEnc))),
    )
  ).filter((l) => isLegacyCiphertext(l.emailEnc!));
  for (const link of links)
    await transaction(deps.db, async (tx) => {
      const minted = deps.dataKeys.mint(link.id, now);
      const emailEnc = reencrypt(deps.cipher, minted.key, link.emailEnc!, signupEmailAt(link.id));
      await exec(tx.update(magicLinks).set({ emailEnc }).where(eq(magicLinks.id, link.id)));
      await minted.save(tx);
    });
  return links.length;
}

/** A ciphertext under the master-derived field key, re-encrypted under a data key (already moved ones are kept). */
const reencrypt = (cipher: FieldCipher, key: DataKey, ciphertext: string, where: FieldLocation) =>
  isLegacyCiphertext(ciphertext) ? key.encrypt(cipher.decrypt(ciphertext, where), where) : ciphertext;
