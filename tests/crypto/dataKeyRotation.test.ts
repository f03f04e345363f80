import { afterEach, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createKeyWrap } from "../../src/crypto/dataKeys";
import { DecryptError } from "../../src/crypto/fields";
import { masterKeyring } from "../../src/crypto/masterKey";
import { runKriora } from "../helpers/cli";

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const wrappedKeys = (dataDir: string) => {
  const db = new Database(join(dataDir, "kriora.db"), { readonly: true });
  try {
    return db.query<{ owner_id: string; wrapped: string }, []>("SELECT owner_id, wrapped FROM data_keys").all();
  } finally {
    db.close();
  }
};

describe("§9 key rotation: kriora datakeys rotate (issue 14)", () => {
  test("--add-master-key appends a master key and re-wraps every data key under it; lookups, export and audit keep working", async () => {
    dir = mkdtempSync(join(tmpdir(), "kriora-rotate-"));
    const json = async (...args: string[]) => {
      const res = await runKriora(dir!, [...args, "--json"]);
      expect(res.err).toBe("");
      expect(res.code).toBe(0);
      return JSON.parse(res.out);
    };
    const ann = await json("accounts", "create", "--email", "ann.rotate@example.com");
    await json("accounts", "create", "--email", "bob.rotate@example.com");
    const firstKey = readFileSync(join(dir, "master.key")).subarray(0, 32);
    const onlyFirst = createKeyWrap(masterKeyring(firstKey));
    // Positive control: before rotation the first master key unwraps every data key.
    for (const k of wrappedKeys(dir)) expect(onlyFirst.unwrap(k.owner_id, k.wrapped)).toHaveLength(32);

    expect(await json("datakeys", "rotate")).toEqual({
      rewrapped: 0,
      keys: 2,
      master_key: "k1",
      master_key_added: null,
    });
    expect(await json("datakeys", "rotate", "--add-master-key")).toEqual({
      rewrapped: 2,
      keys: 2,
      master_key: "k2",
      master_key_added: "k2",
    });
    expect(readFileSync(join(dir, "master.key"))).toHaveLength(64);
    const after = wrappedKeys(dir);
    expect(after.map((k) => k.owner_id).sort()).toContain(ann.id);
    for (const k of after) {
      expect(k.wrapped.startsWith("w1.k2.")).toBe(true);
      expect(() => onlyFirst.unwrap(k.owner_id, k.wrapped)).toThrow(DecryptError);
    }

    // Lookups by email (blind index) and decryption under the re-wrapped keys still work.
    const exported = await json("accounts", "export", "ann.rotate@example.com");
    expect(exported.account).toMatchObject({ id: ann.id, email: "ann.rotate@example.com" });
    const audit = await json("audit", "tail", "--limit", "20");
    const rotations = (audit as { action: string; details: unknown }[]).filter((e) => e.action === "data_keys.rotate");
    expect(rotations).toHaveLength(2);
    expect((await json("audit", "verify")).ok).toBe(true);
  });

  test("--help says what is re-wrapped and when serve must be restarted", async () => {
    dir = mkdtempSync(join(tmpdir(), "kriora-rotate-"));
    const res = await runKriora(dir, ["datakeys", "rotate", "--help"]);
    expect(res.code).toBe(0);
    expect(res.out).toContain("newest master key");
    expect(res.out).toContain("--add-master-key");
  });
});
