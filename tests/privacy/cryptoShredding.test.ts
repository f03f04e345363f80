import { afterEach, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { getAccount } from "../../src/accounts/accounts";
import { redeemMagicLink, requestSignupLink } from "../../src/accounts/magicLinks";
import { eraseAccount } from "../../src/privacy/erasure";
import { exportAccount } from "../../src/privacy/export";
import { requestEmailChange } from "../../src/privacy/rectify";
import { makeTestEnv, type TestEnv } from "../helpers/deps";
import { cellsOfSqliteCopy, recoverWithCurrentKeys } from "../helpers/oldCopy";
import { seedPerson } from "../helpers/privacy";

let env: TestEnv | undefined;
afterEach(() => env?.close());

/** A copy of the database as a backup would take it: the main file after a checkpoint (plus any WAL). */
async function copyDatabase(env: TestEnv, name: string): Promise<string> {
  const path = env.deps.config.database.path;
  await env.deps.handle.purgeErased();
  const copy = join(env.dir, name);
  copyFileSync(path, copy);
  if (existsSync(`${path}-wal`)) copyFileSync(`${path}-wal`, `${copy}-wal`);
  return copy;
}

describe("§8 erasure by crypto-shredding (issue 14)", () => {
  test("a copy taken before erasure no longer yields the email, the IPs or the pending address with the current keys; before erasure the same procedure does", async () => {
    env = await makeTestEnv();
    const deps = env.deps;
    const ann = await seedPerson(deps, "ann", { requests: 3 });
    const bob = await seedPerson(deps, "bob");
    const newAddress = `ann.new.${ann.id}@example.com`;
    await requestEmailChange(deps, ann.id, newAddress, "test");

    const before = await copyDatabase(env, "before.db");
    const annCells = cellsOfSqliteCopy(before).filter((c) => c.owner === ann.id);
    // Her email, three IPs and the pending address are in the copy, encrypted.
    expect(annCells.map((c) => c.where.table).sort()).toEqual([
      "accounts",
      "email_changes",
      "usage_events",
      "usage_events",
      "usage_events",
    ]);

    // Positive control: before erasure, the copy opens with the current keys.
    expect((await recoverWithCurrentKeys(deps, annCells)).sort()).toEqual(
      [ann.email, ann.ip, ann.ip, ann.ip, newAddress].sort(),
    );

    await eraseAccount(deps, ann.id, "request", "test");

    // The old copy still holds her ciphertexts, unchanged: only the destroyed key stops them.
    expect(cellsOfSqliteCopy(before).filter((c) => c.owner === ann.id)).toEqual(annCells);
    expect(await recoverWithCurrentKeys(deps, annCells)).toEqual([]);
    // The whole copy yields Bob's data (not erased) and nothing of Ann's.
    const all = await recoverWithCurrentKeys(deps, cellsOfSqliteCopy(before));
    expect(all).toContain(bob.email);
    expect(all).toContain(bob.ip);
    expect(all.filter((v) => v === ann.email || v === ann.ip || v === newAddress)).toEqual([]);
  });

  test("a pending sign-up's address is under a key of its own: readable from a copy while pending, not once the account it opened is erased", async () => {
    env = await makeTestEnv();
    const deps = env.deps;
    const sent: string[] = [];
    deps.mailer.send = async (m) => (sent.push(m.text), true);
    const address = `newcomer.${Date.now()}@example.com`;
    await requestSignupLink(deps, address, {
      ageConfirmedAt: deps.clock.now(),
      policyVersion: deps.config.policy.version,
    });
    const linkCells = cellsOfSqliteCopy(await copyDatabase(env, "pending.db")).filter(
      (c) => c.where.table === "magic_links",
    );
    expect(linkCells).toHaveLength(1);
    // Positive control: while the sign-up is pending, the copy opens with the current keys.
    expect(await recoverWithCurrentKeys(deps, linkCells)).toEqual([address]);

    const token = decodeURIComponent(/token=([^\s]+)/.exec(sent[0]!)![1]!);
    const accountId = (await redeemMagicLink(deps, token))!;
    expect((await exportAccount(deps, accountId, "test")).account.email).toBe(address);
    // The link's key went with the link; the address now lives under the account's key.
    expect(await recoverWithCurrentKeys(deps, linkCells)).toEqual([]);
    const accountCells = cellsOfSqliteCopy(await copyDatabase(env, "opened.db")).filter((c) => c.owner === accountId);
    expect(await recoverWithCurrentKeys(deps, accountCells)).toEqual([address]);

    await eraseAccount(deps, accountId, "request", "test");
    expect(await recoverWithCurrentKeys(deps, [...linkCells, ...accountCells])).toEqual([]);
  });

  test("the key is destroyed and committed before the rows go: an erasure that fails after it already leaves the copy unreadable, and a second run completes it", async () => {
    env = await makeTestEnv();
    const deps = env.deps;
    const ann = await seedPerson(deps, "ann");
    const cells = cellsOfSqliteCopy(await copyDatabase(env, "before.db")).filter((c) => c.owner === ann.id);
    expect(await recoverWithCurrentKeys(deps, cells)).toHaveLength(3);
    const record = deps.audit.record.bind(deps.audit);
    deps.audit.record = (entry, tx) => {
      if (entry.action === "account.erase") throw new Error("disk full");
      return record(entry, tx);
    };
    await expect(eraseAccount(deps, ann.id, "request", "test")).rejects.toThrow("disk full");
    expect((await getAccount(deps, ann.id))?.status).toBe("active");
    expect(await recoverWithCurrentKeys(deps, cells)).toEqual([]);
    deps.audit.record = record;
    await eraseAccount(deps, ann.id, "request", "test");
    expect((await getAccount(deps, ann.id))?.status).toBe("erased");
  });
});
