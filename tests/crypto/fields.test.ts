import { describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { DecryptError, createFieldCipher } from "../../src/crypto/fields";

const k1 = { id: "k1", key: new Uint8Array(randomBytes(32)) };
const k2 = { id: "k2", key: new Uint8Array(randomBytes(32)) };
const row = { table: "accounts", column: "email", rowId: "acc_1" };

describe("§9 encryption at rest: field encryption", () => {
  const cipher = createFieldCipher({ keys: [k1] });

  test("round-trips, and the same value twice gives different ciphertexts", () => {
    const a = cipher.encrypt("ada@example.com", row);
    const b = cipher.encrypt("ada@example.com", row);
    expect(a).not.toBe(b);
    expect(a).not.toContain("ada");
    expect(cipher.decrypt(a, row)).toBe("ada@example.com");
    expect(cipher.decrypt(b, row)).toBe("ada@example.com");
  });

  test("the key id is inside the ciphertext", () => {
    expect(cipher.encrypt("x", row).split(".").slice(0, 2)).toEqual(["v1", "k1"]);
  });

  test("a flipped bit fails to decrypt", () => {
    const ct = cipher.encrypt("ada@example.com", row);
    const [v, kid, payload] = ct.split(".") as [string, string, string];
    const raw = Buffer.from(payload, "base64url");
    for (const at of [0, 13, raw.length - 1]) {
      const flipped = Buffer.from(raw);
      flipped[at]! ^= 1;
      expect(() => cipher.decrypt(`${v}.${kid}.${flipped.toString("base64url")}`, row)).toThrow(DecryptError);
    }
  });

  test("a ciphertext moved to another row or column fails to decrypt", () => {
    const ct = cipher.encrypt("ada@example.com", row);
    expect(() => cipher.decrypt(ct, { ...row, rowId: "acc_2" })).toThrow(DecryptError);
    expect(() => cipher.decrypt(ct, { ...row, column: "name" })).toThrow(DecryptError);
    expect(() => cipher.decrypt(ct, { ...row, table: "usage" })).toThrow(DecryptError);
  });

  test("after rotation new values use the new key and old key ids still decrypt", () => {
    const old = cipher.encrypt("before rotation", row);
    const rotated = createFieldCipher({ keys: [k1, k2] });
    const fresh = rotated.encrypt("after rotation", row);
    expect(fresh.split(".")[1]).toBe("k2");
    expect(rotated.decrypt(old, row)).toBe("before rotation");
    expect(rotated.decrypt(fresh, row)).toBe("after rotation");
    expect(() => cipher.decrypt(fresh, row)).toThrow(DecryptError);
  });

  test("blind index: deterministic per purpose, keyed, stable across rotation", () => {
    const idx = cipher.blindIndex("email", "ada@example.com");
    expect(cipher.blindIndex("email", "ada@example.com")).toBe(idx);
    expect(cipher.blindIndex("ip", "ada@example.com")).not.toBe(idx);
    expect(createFieldCipher({ keys: [k2] }).blindIndex("email", "ada@example.com")).not.toBe(idx);
    expect(createFieldCipher({ keys: [k1, k2] }).blindIndex("email", "ada@example.com")).toBe(idx);
  });

  test("garbage and unknown key ids are refused, not crashed on", () => {
    for (const bad of ["", "v1", "v1.k9.AAAA", "v2.k1.AAAA", "v1.k1.@@@", "v1.k1.AAAA"]) {
      expect(() => cipher.decrypt(bad, row)).toThrow(DecryptError);
    }
  });
});
