import { describe, expect, test } from "bun:test";
import { createCooldowns } from "../../src/proxy/cooldown";

const routing = {
  retries: 0,
  backoff_base_ms: 250,
  backoff_max_ms: 8_000,
  max_retry_wait_ms: 10_000,
  cooldown_failures: 3,
  cooldown_s: 10,
  models_refresh_s: 600,
};

function breaker() {
  let now = 1_000_000;
  return { cooldowns: createCooldowns(routing, { now: () => now }), advance: (ms: number) => void (now += ms) };
}

describe("per-deployment circuit breaker", () => {
  test("opens after N consecutive failures; a success in between resets the count", () => {
    const { cooldowns: c } = breaker();
    c.settle("d", "failed", null);
    c.settle("d", "failed", null);
    c.settle("d", "ok", null);
    c.settle("d", "failed", null);
    c.settle("d", "failed", null);
    expect(c.acquire("d")).toBe(true);
    c.settle("d", "failed", null);
    expect(c.acquire("d")).toBe(false);
    expect(c.reopensIn(["d"])).toBe(10_000);
  });

  test("half-open: after the cooldown exactly one probe is let through; its success closes the circuit", () => {
    const { cooldowns: c, advance } = breaker();
    for (let i = 0; i < 3; i++) c.settle("d", "failed", null);
    advance(10_000);
    expect(c.acquire("d")).toBe(true);
    expect(c.acquire("d")).toBe(false);
    c.settle("d", "ok", null);
    expect(c.acquire("d")).toBe(true);
    expect(c.acquire("d")).toBe(true);
  });

  test("a probe the client abandoned says nothing: the next request may probe", () => {
    const { cooldowns: c, advance } = breaker();
    for (let i = 0; i < 3; i++) c.settle("d", "failed", null);
    advance(10_000);
    expect(c.acquire("d")).toBe(true);
    c.settle("d", "neutral", null);
    expect(c.acquire("d")).toBe(true);
  });

  test("a retry-after rests the deployment that long even before it trips, and lengthens a cooldown", () => {
    const { cooldowns: c, advance } = breaker();
    c.settle("d", "failed", 4_000);
    expect(c.acquire("d")).toBe(false);
    advance(4_000);
    expect(c.acquire("d")).toBe(true);
    expect(c.acquire("d")).toBe(true);
    c.settle("d", "failed", null);
    c.settle("d", "failed", 60_000);
    expect(c.reopensIn(["d", "other"])).toBe(0);
    expect(c.reopensIn(["d"])).toBe(60_000);
  });
});
