import { afterEach, describe, expect, test } from "bun:test";
import { createAccount } from "../../src/accounts/accounts";
import { createKeyWrap } from "../../src/crypto/dataKeys";
import { loadOrCreateMasterKey, masterKeyring } from "../../src/crypto/masterKey";
import { createDataKeys } from "../../src/db/dataKeys";
import { makeTestEnv, type TestEnv } from "../helpers/deps";

let env: TestEnv | undefined;
afterEach(() => env?.close());

const where = { table: "t", column: "c", rowId: "r" };

describe("data keys in memory (issue 14)", async () => {
  test("a key is read from the database once, then served from memory; forget() drops it (the hook for another instance's erasure)", async () => {
    env = await makeTestEnv();
    const { deps } = env;
    const account = await createAccount(deps, { email: "cache@example.com" }, "test");
    const keys = deps.dataKeys;
    const first = (await keys.get(deps.db, account.id))!;
    const sealed = first.encrypt("203.0.113.9", where);
    // Another instance erases the account: the row goes, this process is not told yet.
    deps.handle.sqlite.query("DELETE FROM data_keys WHERE owner_id = ?").run(account.id);
    expect(await keys.get(deps.db, account.id)).toBe(first);
    keys.forget(account.id);
    expect(await keys.get(deps.db, account.id)).toBeNull();
    // Positive control: the same ciphertext opened under the cached key before it was forgotten.
    expect(first.decrypt(sealed, where)).toBe("203.0.113.9");
  });

  test("the cache is bounded: beyond its size the least recently used key is read again from the database", async () => {
    env = await makeTestEnv();
    const { deps } = env;
    const ring = masterKeyring(loadOrCreateMasterKey(deps.config.security.master_key_file));
    const keys = createDataKeys(createKeyWrap(ring), { max: 2 });
    const [a, b, c] = await Promise.all(
      ["a", "b", "c"].map(async (n) => (await createAccount(deps, { email: `${n}@example.com` }, "test")).id),
    );
    const ka = (await keys.get(deps.db, a!))!;
    await keys.get(deps.db, b!);
    expect(await keys.get(deps.db, a!)).toBe(ka);
    await keys.get(deps.db, c!);
    // b was least recently used and went; a stayed.
    deps.handle.sqlite.run("DELETE FROM data_keys");
    expect(await keys.get(deps.db, a!)).toBe(ka);
    expect(await keys.get(deps.db, c!)).not.toBeNull();
    expect(await keys.get(deps.db, b!)).toBeNull();
  });

  test("a read in flight when the key is forgotten returns what it read but does not cache it", async () => {
    env = await makeTestEnv();
    const { deps } = env;
    const account = await createAccount(deps, { email: "race@example.com" }, "test");
    const reading = deps.dataKeys.get(deps.db, account.id);
    deps.dataKeys.forget(account.id);
    expect(await reading).not.toBeNull();
    deps.handle.sqlite.query("DELETE FROM data_keys WHERE owner_id = ?").run(account.id);
    expect(await deps.dataKeys.get(deps.db, account.id)).toBeNull();
  });

  test("a key is read again after the time limit: another process's erasure reaches this one without the feed", async () => {
    env = await makeTestEnv();
    const { deps } = env;
    let t = 0;
    const ring = masterKeyring(loadOrCreateMasterKey(deps.config.security.master_key_file));
    const keys = createDataKeys(createKeyWrap(ring), { ttlMs: 60_000, now: () => t });
    const account = await createAccount(deps, { email: "ttl@example.com" }, "test");
    const first = await keys.get(deps.db, account.id);
    deps.handle.sqlite.query("DELETE FROM data_keys WHERE owner_id = ?").run(account.id);
    t = 59_999;
    expect(await keys.get(deps.db, account.id)).toBe(first);
    t = 60_000;
    expect(await keys.get(deps.db, account.id)).toBeNull();
  });
});
