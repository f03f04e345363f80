import { and, eq, gte, isNotNull, isNull, ne, notLike } from "drizzle-orm";
import { emailAt } from "../accounts/accounts";
import { signupEmailAt } from "../accounts/magicLinks";
import { isLegacyCiphertext, type DataKey } from "../crypto/dataKeys";
import type { FieldCipher, FieldLocation } from "../crypto/fields";
import type { Db } from "../db/client";
import type { DataKeys } from "../db/dataKeys";
import { all, exec, one, transaction, type Tx } from "../db/tx";
import { accounts, dataKeys, emailChanges, magicLinks, usageEvents } from "../db/schema";
import { DAY_MS, type Clock } from "../lib/clock";
import type { Logger } from "../lib/log";
import { usageIpLocation } from "../usage/writer";
import { changeAt } from "./rectify";

interface AdoptionDeps {
  db: Db;
  cipher: FieldCipher;
  dataKeys: DataKeys;
  clock: Clock;
  log: Logger;
  /** `retention.ip_days`: older usage rows hold no address (the retention run nulls it). */
  ipDays: number;
}

/** Ciphertexts under the master-derived field key do not start with the data-key prefix. */
const legacy = (column: Parameters<typeof notLike>[0]) => and(isNotNull(column), notLike(column, "d1.%"));

/**
 * Databases from before per-account data keys hold every email and IP under the master-derived
 * field key, and during a rolling upgrade an instance of the older version keeps writing them so.
 * At start (serve, migrate, every CLI command) each account with such a ciphertext — its address,
 * a pending change, a recent usage row — gets its data key (made now if it has none) and those
 * fields are re-encrypted under it, one transaction per account; pending sign-up links likewise.
 * Afterwards the queries find nothing (indexed, and usage rows only within `ip_days`). An account
 * whose key is gone but whose rows are not (an erasure interrupted between its two steps, or
 * finished) gets no new key: its data is no longer readable by design.
 */
export async function adoptDataKeys(deps: AdoptionDeps): Promise<void> {
  const now = deps.clock.now();
  const owners = new Set<string>();
  const add = (rows: { id: string }[]) => {
    for (const r of rows) owners.add(r.id);
  };
  add(
    await all(
      deps.db
        .select({ id: accounts.id })
        .from(accounts)
        .where(and(legacy(accounts.emailEnc), ne(accounts.status, "erased"))),
    ),
  );
  add(
    await all(deps.db.select({ id: emailChanges.accountId }).from(emailChanges).where(legacy(emailChanges.emailEnc))),
  );
  add(
    await all(
      deps.db
        .selectDistinct({ id: usageEvents.accountId })
        .from(usageEvents)
        .where(and(gte(usageEvents.at, now - (deps.ipDays + 1) * DAY_MS), legacy(usageEvents.ipEnc))),
    ),
  );
  let moved = 0;
  for (const id of owners) moved += await transaction(deps.db, (tx) => adoptAccount(deps, tx, id, now));
  const signups = await adoptSignupLinks(deps, now);
  if (moved > 0 || signups > 0)
    deps.log.info("data_keys_adopted", { accounts: owners.size, fields: moved, signup_links: signups });
}

/** One account's legacy fields moved under its data key; returns how many. */
async function adoptAccount(deps: AdoptionDeps, tx: Tx, id: string, now: number): Promise<number> {
  const account = await one(tx.select().from(accounts).where(eq(accounts.id, id)));
  let key = await deps.dataKeys.get(tx, id);
  if (!key) {
    const keyless = account && account.status !== "erased" && account.emailEnc && isLegacyCiphertext(account.emailEnc);
    if (!keyless) return 0;
    const minted = deps.dataKeys.mint(id, now);
    // Stored first: an instance starting at the same time waits here, then finds the key taken.
    if (!(await minted.save(tx))) return 0;
    key = minted.key;
  }
  const move = (ciphertext: string, where: FieldLocation) => reencrypt(deps.cipher, key, ciphertext, where);
  let moved = 0;
  if (account?.emailEnc && isLegacyCiphertext(account.emailEnc)) {
    await exec(
      tx
        .update(accounts)
        .set({ emailEnc: move(account.emailEnc, emailAt(id)) })
        .where(eq(accounts.id, id)),
    );
    moved++;
  }
  for (const c of await all(
    tx
      .select()
      .from(emailChanges)
      .where(and(eq(emailChanges.accountId, id), legacy(emailChanges.emailEnc))),
  )) {
    await exec(
      tx
        .update(emailChanges)
        .set({ emailEnc: move(c.emailEnc, changeAt(c.id)) })
        .where(eq(emailChanges.id, c.id)),
    );
    moved++;
  }
  const ips = await all(
    tx
      .select({ id: usageEvents.id, ipEnc: usageEvents.ipEnc })
      .from(usageEvents)
      .where(and(eq(usageEvents.accountId, id), legacy(usageEvents.ipEnc))),
  );
  for (const u of ips)
    await exec(
      tx
        .update(usageEvents)
        .set({ ipEnc: move(u.ipEnc!, usageIpLocation(u.id)) })
        .where(eq(usageEvents.id, u.id)),
    );
  return moved + ips.length;
}

async function adoptSignupLinks(deps: AdoptionDeps, now: number): Promise<number> {
  const links = await all(
    deps.db
      .select({ id: magicLinks.id, emailEnc: magicLinks.emailEnc })
      .from(magicLinks)
      .leftJoin(dataKeys, eq(dataKeys.ownerId, magicLinks.id))
      .where(and(isNull(dataKeys.ownerId), legacy(magicLinks.emailEnc))),
  );
  let moved = 0;
  for (const link of links)
    await transaction(deps.db, async (tx) => {
      const minted = deps.dataKeys.mint(link.id, now);
      if (!(await minted.save(tx))) return;
      const emailEnc = reencrypt(deps.cipher, minted.key, link.emailEnc!, signupEmailAt(link.id));
      await exec(tx.update(magicLinks).set({ emailEnc }).where(eq(magicLinks.id, link.id)));
      moved++;
    });
  return moved;
}

/** A ciphertext under the master-derived field key, re-encrypted under a data key (already moved ones are kept). */
const reencrypt = (cipher: FieldCipher, key: DataKey, ciphertext: string, where: FieldLocation) =>
  isLegacyCiphertext(ciphertext) ? key.encrypt(cipher.decrypt(ciphertext, where), where) : ciphertext;
