import { describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { addMasterKey, MasterKeyError, loadOrCreateMasterKey, masterKeyring } from "../../src/crypto/masterKey";

const dir = () => mkdtempSync(join(tmpdir(), "kriora-key-"));

describe("§9 encryption at rest: master key", () => {
  test("is created on first start: 32 random bytes, mode 0600, stable afterwards", () => {
    const path = join(dir(), "nested", "master.key");
    const key = loadOrCreateMasterKey(path);
    expect(key.length).toBe(32);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(Buffer.from(loadOrCreateMasterKey(path)).equals(Buffer.from(key))).toBe(true);
    expect(Buffer.from(loadOrCreateMasterKey(join(dir(), "other.key"))).equals(Buffer.from(key))).toBe(false);
  });

  test.each([0o644, 0o640, 0o604])("a key readable by group or others (mode %o) is refused", (mode) => {
    const path = join(dir(), "master.key");
    loadOrCreateMasterKey(path);
    chmodSync(path, mode);
    expect(() => loadOrCreateMasterKey(path)).toThrow(MasterKeyError);
    expect(() => loadOrCreateMasterKey(path)).toThrow("chmod 600");
  });

  test("a key file of the wrong length is refused", () => {
    const path = join(dir(), "master.key");
    writeFileSync(path, "short", { mode: 0o600 });
    expect(() => loadOrCreateMasterKey(path)).toThrow("32 bytes per key");
    expect(readFileSync(path, "utf8")).toBe("short");
    writeFileSync(path, Buffer.alloc(48), { mode: 0o600 });
    expect(() => loadOrCreateMasterKey(path)).toThrow("32 bytes per key");
  });

  test("the file is a keyring: adding a key keeps the older ones, in order, mode 0600", () => {
    const path = join(dir(), "master.key");
    const first = loadOrCreateMasterKey(path);
    expect(addMasterKey(path)).toBe("k2");
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const ring = masterKeyring(loadOrCreateMasterKey(path));
    expect(ring.keys.map((k) => k.id)).toEqual(["k1", "k2"]);
    expect(Buffer.from(ring.keys[0]!.key).equals(Buffer.from(first))).toBe(true);
    expect(Buffer.from(ring.keys[1]!.key).equals(Buffer.from(first))).toBe(false);
    expect(ring.keys[1]!.key.length).toBe(32);
  });
});
