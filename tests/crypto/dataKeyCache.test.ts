import { afterEach, describe, expect, test } from "bun:test";
import { createAccount } from "../../src/accounts/accounts";
import { createKeyWrap } from "../../src/crypto/dataKeys";
import { loadOrCreateMasterKey, masterKeyring } from "../../src/crypto/masterKey";
import { createDataKeys } from "../../src/db/dataKeys";
import { makeTestEnv, type TestEnv } from "../helpers/deps";

let env: TestEnv | undefined;
afterEach(() => env?.close());

const where = { table: "t", column: "c", rowId: "r" };

describe("data keys in memory (issue 14)", () => {
  test("a key is read from the database once, then served from memory; forget() drops it (the hook for another instance's erasure)", () => {
    env = makeTestEnv();
    const { deps } = env;
    const account = createAccount(deps, { email: "cache@example.com" }, "test");
    const keys = deps.dataKeys;
    const first = keys.get(deps.db, account.id)!;
    const sealed = first.encrypt("203.0.113.9", where);
    // Another instance erases the account: the row goes, this process is not told yet.
    deps.handle.sqlite.query("DELETE FROM data_keys WHERE owner_id = ?").run(account.id);
    expect(keys.get(deps.db, account.id)).toBe(first);
    keys.forget(account.id);
    expect(keys.get(deps.db, account.id)).toBeNull();
    // Positive control: the same ciphertext opened under the cached key before it was forgotten.
    expect(first.decrypt(sealed, where)).toBe("203.0.113.9");
  });

  test("the cache is bounded: beyond its size the least recently used key is read again from the database", () => {
    env = makeTestEnv();
    const { deps } = env;
    const ring = masterKeyring(loadOrCreateMasterKey(deps.config.security.master_key_file));
    const keys = createDataKeys(createKeyWrap(ring), 2);
    const [a, b, c] = ["a", "b", "c"].map((n) => createAccount(deps, { email: `${n}@example.com` }, "test").id);
    const ka = keys.get(deps.db, a!)!;
    keys.get(deps.db, b!);
    expect(keys.get(deps.db, a!)).toBe(ka);
    keys.get(deps.db, c!);
    // b was least recently used and went; a stayed.
    deps.handle.sqlite.run("DELETE FROM data_keys");
    expect(keys.get(deps.db, a!)).toBe(ka);
    expect(keys.get(deps.db, c!)).not.toBeNull();
    expect(keys.get(deps.db, b!)).toBeNull();
  });
});
