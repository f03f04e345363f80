import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { costMicros, pricesOf } from "../../src/usage/cost";

const model = (input: number, output: number, cached = 0) => ({
  input_usd_per_mtok: input,
  output_usd_per_mtok: output,
  cached_input_usd_per_mtok: cached,
});

describe("§5 billing records: request cost in integer micro-dollars", () => {
  test("a million tokens cost the per-Mtok price exactly", () => {
    const p = pricesOf(model(0.15, 0.6));
    expect(costMicros({ inputTokens: 1_000_000, outputTokens: 0, cachedInputTokens: 0 }, p)).toBe(150_000);
    expect(costMicros({ inputTokens: 0, outputTokens: 1_000_000, cachedInputTokens: 0 }, p)).toBe(600_000);
  });

  test("cached input tokens use the cached price; unset means the input price", () => {
    expect(
      costMicros(
        { inputTokens: 2_000_000, outputTokens: 0, cachedInputTokens: 1_000_000 },
        pricesOf(model(3, 15, 0.3)),
      ),
    ).toBe(3_300_000);
    expect(
      costMicros({ inputTokens: 2_000_000, outputTokens: 0, cachedInputTokens: 1_000_000 }, pricesOf(model(3, 15))),
    ).toBe(6_000_000);
  });

  test("rounds half up once per request", () => {
    const p = pricesOf(model(0.15, 0.6));
    expect(costMicros({ inputTokens: 10, outputTokens: 0, cachedInputTokens: 0 }, p)).toBe(2);
    expect(costMicros({ inputTokens: 3, outputTokens: 0, cachedInputTokens: 0 }, p)).toBe(0);
  });

  test("property: cost is exact integer arithmetic — matches a BigInt reference and is additive in micro-pico units", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 5_000_000 }),
        fc.integer({ min: 0, max: 5_000_000 }),
        fc.integer({ min: 0, max: 5_000_000 }),
        fc.integer({ min: 0, max: 100_000_000 }),
        fc.integer({ min: 0, max: 100_000_000 }),
        (input, output, cachedRaw, inPico, outPico) => {
          const cached = Math.min(cachedRaw, input);
          const p = pricesOf(model(inPico / 1e6, outPico / 1e6));
          expect(p.input).toBe(inPico);
          const c = costMicros({ inputTokens: input, outputTokens: output, cachedInputTokens: cached }, p);
          const exact = BigInt(input) * BigInt(inPico) + BigInt(output) * BigInt(outPico);
          expect(Number.isSafeInteger(c)).toBe(true);
          expect(BigInt(c)).toBe((exact + 500_000n) / 1_000_000n);
        },
      ),
      { numRuns: 2000 },
    );
  });

  test("property: a cost beyond 2⁵³ pico-dollars is still exact (the BigInt path)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2_000_000_000 }),
        fc.integer({ min: 0, max: 2_000_000_000 }),
        fc.integer({ min: 0, max: 2_000_000_000 }),
        fc.integer({ min: 1_000_000, max: 1_000_000_000_000 }),
        fc.integer({ min: 1_000_000, max: 1_000_000_000_000 }),
        fc.integer({ min: 0, max: 1_000_000_000_000 }),
        (input, output, cachedRaw, inPico, outPico, cachedPico) => {
          const cached = Math.min(cachedRaw, input);
          const p = pricesOf(model(inPico / 1e6, outPico / 1e6, cachedPico / 1e6));
          const c = costMicros({ inputTokens: input, outputTokens: output, cachedInputTokens: cached }, p);
          const exact =
            BigInt(input - cached) * BigInt(p.input) +
            BigInt(cached) * BigInt(p.cachedInput) +
            BigInt(output) * BigInt(p.output);
          expect(BigInt(c)).toBe((exact + 500_000n) / 1_000_000n);
        },
      ),
      { numRuns: 2000 },
    );
  });

  test("the double and BigInt paths meet at 2⁵³: both sides of the boundary are exact", () => {
    // 2⁵³ − 1 = 9_007_199_254_740_991 pico-dollars: one token at that price, then one pico more.
    const limit = { input: Number.MAX_SAFE_INTEGER - 500_000, output: 1, cachedInput: 0 };
    const below = costMicros({ inputTokens: 1, outputTokens: 0, cachedInputTokens: 0 }, limit);
    expect(BigInt(below)).toBe((BigInt(limit.input) + 500_000n) / 1_000_000n);
    const above = costMicros({ inputTokens: 1, outputTokens: 3, cachedInputTokens: 0 }, limit);
    expect(BigInt(above)).toBe((BigInt(limit.input) + 3n + 500_000n) / 1_000_000n);
  });
});
