import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createApp } from "../../src/http/app";
import { backoffMs } from "../../src/proxy/attempts";
import { MemoryUsageSink } from "../helpers/usage";
import { makeTestEnv, type TestEnv } from "../helpers/deps";
import { startFakeUpstream, type FakeUpstream } from "../helpers/fakeUpstream";
import { KEYS, PROVIDER_KEYS, providerToml, tokenAuthenticator } from "../helpers/gateway";
import { json } from "../helpers/http";

/** A seeded PRNG (mulberry32), so the weighted split is the same on every run. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Routed {
  env: TestEnv;
  usage: MemoryUsageSink;
  /** The stepping clock: `sleep` advances it instead of waiting. */
  clock: { now(): number; advance(ms: number): void };
  sleeps: number[];
  chat(model: string, key?: string): Promise<Response>;
}

const noLimits = "[limits]\nrpm = 0\ntpm = 0\nconcurrency = 0\n";
const providers = (fake: FakeUpstream, ids: string[], extra: Partial<Parameters<typeof providerToml>[0]> = {}) =>
  ids.map((id) => providerToml({ id, kind: "openai", url: fake.url, ...extra })).join("");

/** The in-process gateway with a stepping clock, a recorded sleep and the given random. */
async function routed(toml: string, random: () => number): Promise<Routed> {
  let now = Date.UTC(2026, 0, 5, 12);
  const clock = { now: () => now, advance: (ms: number) => void (now += ms) };
  const env = await makeTestEnv(noLimits + toml, { clock });
  const sleeps: number[] = [];
  env.deps.retryTiming = { random, sleep: async (ms) => (sleeps.push(ms), clock.advance(ms)) };
  env.deps.auth = tokenAuthenticator;
  const usage = new MemoryUsageSink();
  env.deps.usage = usage;
  const app = createApp(env.deps);
  const chat = (model: string, key = KEYS.user) =>
    app.handle(
      new Request("http://localhost/v1/chat/completions", {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
        body: JSON.stringify({ model, messages: [{ role: "user", content: "hi" }] }),
      }),
    );
  return { env, usage, clock, sleeps, chat };
}

let fake: FakeUpstream;
beforeAll(() => {
  fake = startFakeUpstream();
});
afterAll(() => fake.stop());
const seen = () => fake.requests.splice(0).map((r) => r.model);

describe("deployments chosen by weight", () => {
  let gw: Routed;
  beforeAll(async () => {
    process.env.SECOND_ACCOUNT_KEY = "sk-second-account-91";
    gw = await routed(
      providers(fake, ["a", "b"]) +
        providerToml({ id: "eu", kind: "openai", url: fake.url, zdr: true, region: "eu" }) +
        `[[models]]\nid = "split"\naliases = ["split-alias"]\ndeployments = [{ provider = "a", upstream = "fine-a", weight = 3 }, { provider = "b", upstream = "fine-b", weight = 1, api_key_env = "SECOND_ACCOUNT_KEY" }]\n` +
        `[[models]]\nid = "mixed"\ndeployments = [{ provider = "a", upstream = "us-model", weight = 99 }, { provider = "eu", upstream = "eu-model", weight = 1 }]\n`,
      seeded(13),
    );
  });
  afterAll(async () => {
    delete process.env.SECOND_ACCOUNT_KEY;
    await gw.env.close();
  });

  test("a 3:1 split over 2,000 requests through the route lands within ±5% of 75%/25%", async () => {
    seen();
    for (let i = 0; i < 2_000; i++) expect((await gw.chat("split")).status).toBe(200);
    const models = seen();
    expect(models).toHaveLength(2_000);
    const share = models.filter((m) => m === "fine-a").length / 2_000;
    expect(Math.abs(share - 0.75)).toBeLessThanOrEqual(0.05);
    expect(models.filter((m) => m === "fine-b").length).toBe(2_000 - models.filter((m) => m === "fine-a").length);
    // 2,000 requests one after another: on PostgreSQL + Redis a slow machine needs more than the default 5 s.
  }, 30_000);

  test("an alias reaches the same deployments, and a deployment's own key replaces its provider's", async () => {
    fake.requests.length = 0;
    for (let i = 0; i < 40; i++) expect((await gw.chat("split-alias")).status).toBe(200);
    const auth = new Map(fake.requests.splice(0).map((r) => [r.model, r.headers.get("authorization")]));
    expect(auth.get("fine-a")).toBe(`Bearer ${PROVIDER_KEYS.openai}`);
    expect(auth.get("fine-b")).toBe("Bearer sk-second-account-91");
  });

  test("§3 zero retention still fails closed: a ZDR key reaches only the ZDR deployment, whatever its weight", async () => {
    seen();
    for (let i = 0; i < 20; i++) expect((await gw.chat("mixed", KEYS.zdr)).status).toBe(200);
    expect(new Set(seen())).toEqual(new Set(["eu-model"]));
    const refused = await gw.chat("split", KEYS.zdr);
    expect(refused.status).toBe(422);
    expect((await json(refused)).error.message).toContain("zero data retention");
    expect(seen()).toEqual([]);
  });
});

describe("cooldown: a failing deployment is skipped until its cooldown ends", () => {
  let gw: Routed;
  beforeAll(async () => {
    gw = await routed(
      "[routing]\ncooldown_failures = 5\ncooldown_s = 30\n" +
        providers(fake, ["a", "b"]) +
        `[[models]]\nid = "flaky"\ndeployments = [{ provider = "a", upstream = "fail-500" }, { provider = "b", upstream = "fine" }]\n`,
      () => 0, // always the first deployment first
    );
  });
  afterAll(() => gw.env.close());

  test("after 5 failures the deployment is not called; after the cooldown one probe is, and failing re-opens it", async () => {
    seen();
    for (let i = 0; i < 5; i++) expect((await gw.chat("flaky")).status).toBe(200);
    expect(seen()).toEqual(Array.from({ length: 5 }, () => ["fail-500", "fine"]).flat());
    expect((await gw.chat("flaky")).status).toBe(200);
    gw.clock.advance(29_000);
    expect((await gw.chat("flaky")).status).toBe(200);
    expect(seen()).toEqual(["fine", "fine"]);
    gw.clock.advance(1_000);
    expect((await gw.chat("flaky")).status).toBe(200);
    expect(seen()).toEqual(["fail-500", "fine"]);
    expect((await gw.chat("flaky")).status).toBe(200);
    expect(seen()).toEqual(["fine"]);
    expect(gw.usage.events.at(-1)).toMatchObject({ provider: "b", outcome: "ok" });
  });
});

describe("retries before the first byte", () => {
  let gw: Routed;
  beforeAll(async () => {
    gw = await routed(
      "[routing]\nretries = 2\nbackoff_base_ms = 100\nbackoff_max_ms = 150\nmax_retry_wait_ms = 5000\ncooldown_failures = 10\n" +
        providers(fake, ["a", "b", "c"]) +
        `[[models]]\nid = "broken"\nprovider = "a"\nupstream = "fail-500"\n` +
        `[[models]]\nid = "limited"\nprovider = "b"\nupstream = "fail-429-retry-2s"\n` +
        `[[models]]\nid = "invalid"\nprovider = "c"\nupstream = "bad-400"\n`,
      () => 0.5,
    );
  });
  afterAll(() => gw.env.close());

  test("a failing target is tried again after an exponential backoff with jitter, then the client gets the error", async () => {
    seen();
    gw.sleeps.length = 0;
    const res = await gw.chat("broken");
    expect(res.status).toBe(502);
    expect(seen()).toEqual(["fail-500", "fail-500", "fail-500"]);
    const routing = gw.env.deps.config.routing;
    expect(gw.sleeps).toEqual([backoffMs(0, routing, 0.5), backoffMs(1, routing, 0.5)]);
    expect(gw.sleeps).toEqual([75, 113]);
  });

  test("retry-after is honoured: the retry waits as long as the provider asked, the client gets it, and the deployment rests meanwhile", async () => {
    seen();
    gw.sleeps.length = 0;
    const res = await gw.chat("limited");
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("2");
    expect(seen()).toEqual(["fail-429-retry-2s", "fail-429-retry-2s", "fail-429-retry-2s"]);
    expect(gw.sleeps).toEqual([2_000, 2_000]);

    const resting = await gw.chat("limited");
    expect(resting.status).toBe(503);
    expect(resting.headers.get("retry-after")).toBe("2");
    expect(seen()).toEqual([]);
    expect(gw.usage.events.at(-1)).toMatchObject({ provider: null, outcome: "refused", status: 503 });

    gw.clock.advance(2_000);
    await gw.chat("limited");
    expect(seen()[0]).toBe("fail-429-retry-2s");
  });

  test("a rejection of the request itself is never retried", async () => {
    seen();
    gw.sleeps.length = 0;
    expect((await gw.chat("invalid")).status).toBe(400);
    expect(seen()).toEqual(["bad-400"]);
    expect(gw.sleeps).toEqual([]);
  });
});

describe("a retry-after longer than max_retry_wait_ms", () => {
  let gw: Routed;
  beforeAll(async () => {
    gw = await routed(
      `[routing]\nretries = 3\nmax_retry_wait_ms = 1000\n${providers(fake, ["a"])}[[models]]\nid = "limited"\nprovider = "a"\nupstream = "fail-429-retry-2s"\n`,
      () => 0.5,
    );
  });
  afterAll(() => gw.env.close());

  test("is not waited for: one call, and the client gets the 429 with the provider's retry-after", async () => {
    seen();
    const res = await gw.chat("limited");
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("2");
    expect(seen()).toEqual(["fail-429-retry-2s"]);
    expect(gw.sleeps).toEqual([]);
  });
});
