import { describe, expect, test } from "bun:test";
import { count, MAX_REPORTED_TOKENS } from "../../src/proxy/tokens";

describe("§5 billing records: token counts reported by a provider", () => {
  test("whole numbers up to a billion are taken as they are", () => {
    expect(count(0)).toBe(0);
    expect(count(17)).toBe(17);
    expect(count(MAX_REPORTED_TOKENS)).toBe(MAX_REPORTED_TOKENS);
  });

  test.each([
    [1e308],
    [MAX_REPORTED_TOKENS + 1],
    [-5],
    [2.5],
    [Number.NaN],
    [Number.POSITIVE_INFINITY],
    ["12"],
    [null],
    [undefined],
    [{}],
  ])("an absurd or malformed figure (%p) counts as 0 rather than reaching costs, balances and limits", (value) => {
    expect(count(value)).toBe(0);
  });
});
