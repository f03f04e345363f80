import { describe, expect, test } from "bun:test";
import { createMemoryLimiter } from "../../src/coord/memoryLimiter";
import type { LimitSpec } from "../../src/coord/port";
import { formatDuration } from "../../src/coord/rateHeaders";

function steppingClock() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}
const key = (spec: Partial<LimitSpec>) => ({ id: "key:k1", spec: { rpm: 0, tpm: 0, concurrency: 0, ...spec } });

describe("§5 availability: rate limits", () => {
  test("a burst past rpm is refused with retry-after and x-ratelimit headers; it refills over time", async () => {
    const clock = steppingClock();
    const limiter = createMemoryLimiter(clock);
    for (let i = 0; i < 3; i++) {
      const a = await limiter.admit([key({ rpm: 3 })], 0);
      expect(a.ok).toBe(true);
      expect(a.headers["x-ratelimit-remaining-requests"]).toBe(String(2 - i));
    }
    const refused = await limiter.admit([key({ rpm: 3 })], 0);
    expect(refused).toMatchObject({ ok: false, reason: "rpm", retryAfterS: 20 });
    expect(refused.headers["x-ratelimit-limit-requests"]).toBe("3");
    expect(refused.headers["x-ratelimit-reset-requests"]).toBe("1m0s");
    clock.advance(20_000);
    expect((await limiter.admit([key({ rpm: 3 })], 0)).ok).toBe(true);
  });

  test("tpm reserves the estimate before the call and settles to the real count after", async () => {
    const clock = steppingClock();
    const limiter = createMemoryLimiter(clock);
    const a = await limiter.admit([key({ tpm: 1000 })], 800);
    expect(a.ok).toBe(true);
    expect((await limiter.admit([key({ tpm: 1000 })], 300)).ok).toBe(false);
    if (!a.ok) throw new Error("unreachable");
    a.lease.settle(100);
    const b = await limiter.admit([key({ tpm: 1000 })], 300);
    expect(b.ok).toBe(true);
    expect(b.headers["x-ratelimit-remaining-tokens"]).toBe("600");
  });

  test("usage beyond the reservation is charged: the bucket goes into debt", async () => {
    const limiter = createMemoryLimiter(steppingClock());
    const a = await limiter.admit([key({ tpm: 1000 })], 10);
    if (!a.ok) throw new Error("admitted expected");
    a.lease.settle(1500);
    const refused = await limiter.admit([key({ tpm: 1000 })], 1);
    expect(refused).toMatchObject({ ok: false, reason: "tpm" });
  });

  test("the concurrency cap holds, and a released lease frees its slot (release is idempotent)", async () => {
    const limiter = createMemoryLimiter(steppingClock());
    const first = await limiter.admit([key({ concurrency: 2 })], 0);
    const second = await limiter.admit([key({ concurrency: 2 })], 0);
    expect(await limiter.admit([key({ concurrency: 2 })], 0)).toMatchObject({ ok: false, reason: "concurrency" });
    if (!first.ok || !second.ok) throw new Error("admitted expected");
    first.lease.release();
    first.lease.release();
    expect((await limiter.admit([key({ concurrency: 2 })], 0)).ok).toBe(true);
    expect((await limiter.admit([key({ concurrency: 2 })], 0)).ok).toBe(false);
  });

  test("a refusal by one subject (the account) charges no other (the key)", async () => {
    const limiter = createMemoryLimiter(steppingClock());
    const account = { id: "account:a", spec: { rpm: 1, tpm: 0, concurrency: 0 } };
    expect((await limiter.admit([key({ rpm: 5 }), account], 0)).ok).toBe(true);
    expect((await limiter.admit([key({ rpm: 5 }), account], 0)).ok).toBe(false);
    const other = { id: "account:b", spec: { rpm: 1, tpm: 0, concurrency: 0 } };
    const ok = await limiter.admit([key({ rpm: 5 }), other], 0);
    expect(ok.ok).toBe(true);
    expect(ok.headers["x-ratelimit-remaining-requests"]).toBe("0");
  });

  test("durations use OpenAI's format", () => {
    expect(formatDuration(120)).toBe("120ms");
    expect(formatDuration(1000)).toBe("1s");
    expect(formatDuration(360_000)).toBe("6m0s");
  });
});
