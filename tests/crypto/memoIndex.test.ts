import { describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { createFieldCipher } from "../../src/crypto/fields";
import { memoizedIndex } from "../../src/crypto/memoIndex";

describe("memoized address index (issue 15: no HMAC per request for a known address)", () => {
  test("gives the blind index itself, computing it once per address", () => {
    const cipher = createFieldCipher({ keys: [{ id: "k1", key: randomBytes(32) }] });
    let computed = 0;
    const index = memoizedIndex((a) => (computed++, cipher.blindIndex("address", a)));
    for (const a of ["203.0.113.1", "203.0.113.2", "203.0.113.1", "203.0.113.1"])
      expect(index(a)).toBe(cipher.blindIndex("address", a));
    expect(computed).toBe(2);
  });

  test("is bounded: past `max` addresses the oldest is computed again, the newest is not", () => {
    let computed = 0;
    const index = memoizedIndex((a) => (computed++, `h(${a})`), 2);
    index("a");
    index("b");
    index("c");
    expect(computed).toBe(3);
    index("c");
    index("b");
    expect(computed).toBe(3);
    expect(index("a")).toBe("h(a)");
    expect(computed).toBe(4);
  });
});
