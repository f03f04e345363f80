import { afterEach, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { changeCredits } from "../../src/billing/credits";
import { usageDaily, usageEvents } from "../../src/db/schema";
import type { KeySettingsInput } from "../../src/keys/settings";
import { startServer, type RunningServer } from "../../src/http/serve";
import { makeBillingEnv, type BillingEnv } from "../helpers/billing";
import { makeTestEnv, type TestEnv } from "../helpers/deps";
import { startFakeUpstream, type FakeUpstream } from "../helpers/fakeUpstream";
import { FAKE_USAGE } from "../helpers/fakeWire";
import { providerToml } from "../helpers/gateway";
import { json } from "../helpers/http";
import { makeAccount, makeKey } from "../helpers/identity";
import { parsePrometheus } from "../helpers/prometheus";
import { createMemoryCoordination } from "../../src/coord/memory";
import { createSpendTracker } from "../../src/usage/spend";
import { all } from "../../src/db/tx";

interface Rig {
  env: TestEnv | BillingEnv;
  fake: FakeUpstream;
  server: RunningServer;
  key: string;
  keyId: string;
  accountId: string;
  chat(body?: Record<string, unknown>, key?: string): Promise<Response>;
}
let rig: Rig | undefined;
afterEach(async () => {
  if (!rig) return;
  await rig.server.stop();
  await rig.fake.stop();
  rig.env.close();
  rig = undefined;
});

const EMAIL = "limited-user@example.com";

/** The real server, real keys and the real usage writer, in front of the fake upstream. */
async function start(toml: string, keyLimits: KeySettingsInput = {}, billing?: "prepaid"): Promise<Rig> {
  const fake = startFakeUpstream();
  const models = `[[models]]\nid = "m"\nprovider = "oa"\nupstream = "fine"\ninput_usd_per_mtok = 1000\noutput_usd_per_mtok = 1000\n[[models]]\nid = "slow"\nprovider = "oa"\nupstream = "paced"\n`;
  const rest = `${toml}\n${providerToml({ id: "oa", kind: "openai", url: fake.url })}${models}`;
  // The billing rig writes its own [server] table; the port is set to 0 below instead.
  const env = billing
    ? await makeBillingEnv(billing, { toml: rest })
    : await makeTestEnv(`[server]\nport = 0\n${rest}`);
  const account = await makeAccount(env.deps, EMAIL);
  const { key, id } = await makeKey(env.deps, account.id, keyLimits);
  const server = startServer({
    ...env.deps,
    config: { ...env.deps.config, server: { ...env.deps.config.server, port: 0 } },
  });
  const chat = (body: Record<string, unknown> = {}, k = key) =>
    fetch(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${k}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }], ...body }),
    });
  rig = { env, fake, server, key, keyId: id, accountId: account.id, chat };
  return rig;
}

const rowsOf = async (r: Rig) => {
  await r.env.deps.usageWriter.flush();
  return await all(r.env.deps.db.select().from(usageEvents));
};

describe("§2 usage data: metering through the real gateway", () => {
  test("N concurrent streamed requests produce exactly N usage rows with the right token counts", async () => {
    const r = await start("[limits]\nconcurrency = 64");
    const client = new OpenAI({ apiKey: r.key, baseURL: `${r.server.url}/v1`, maxRetries: 0 });
    const N = 40;
    const texts = await Promise.all(
      Array.from({ length: N }, async () => {
        const stream = await client.chat.completions.create({
          model: "m",
          stream: true,
          messages: [{ role: "user", content: "hi" }],
        });
        let text = "";
        for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
        return text;
      }),
    );
    expect(texts.every((t) => t === r.fake.reply)).toBe(true);
    const deadline = Date.now() + 5_000;
    while ((await rowsOf(r)).length < N && Date.now() < deadline) await Bun.sleep(20);
    const rows = await rowsOf(r);
    expect(rows.length).toBe(N);
    expect(new Set(rows.map((x) => x.id)).size).toBe(N);
    for (const row of rows) {
      expect(row).toMatchObject({
        accountId: r.accountId,
        keyId: r.keyId,
        model: "m",
        stream: true,
        status: 200,
        outcome: "ok",
        estimated: false,
        inputTokens: FAKE_USAGE.chat.prompt_tokens,
        outputTokens: FAKE_USAGE.chat.completion_tokens,
        cachedInputTokens: FAKE_USAGE.chat.prompt_tokens_details.cached_tokens,
      });
    }
  });
});

describe("§5 availability: limits at the model API", () => {
  test("a burst past the key's rpm gets 429 with retry-after and x-ratelimit-* headers; the upstream is not called", async () => {
    const r = await start("", { rpm: 3 });
    for (let i = 0; i < 3; i++) {
      const ok = await r.chat();
      expect(ok.status).toBe(200);
      expect(ok.headers.get("x-ratelimit-limit-requests")).toBe("3");
      expect(ok.headers.get("x-ratelimit-remaining-requests")).toBe(String(2 - i));
      await ok.text();
    }
    const refused = await r.chat();
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(refused.headers.get("x-ratelimit-remaining-requests")).toBe("0");
    expect(refused.headers.get("x-ratelimit-reset-requests")).toMatch(/^\d+(ms|s)$|^\d+m\d+s$/);
    expect((await json(refused)).error).toMatchObject({ type: "rate_limit_error", code: "rate_limit_exceeded" });
    expect(r.fake.requests.length).toBe(3);
    const refusedRow = (await rowsOf(r)).find((x) => x.status === 429);
    expect(refusedRow).toMatchObject({ outcome: "refused", errorCode: "rate_limited", inputTokens: 0 });
  });

  test("tpm reserves the request's estimate and settles to the real usage afterwards", async () => {
    const r = await start("", { tpm: 1000 });
    const first = await r.chat({ max_tokens: 900 });
    expect(first.status).toBe(200);
    // Reserved: ~the body's size/4 plus the 900 tokens asked for.
    expect(Number(first.headers.get("x-ratelimit-remaining-tokens"))).toBeLessThan(100);
    await first.text();
    const deadline = Date.now() + 2_000;
    while ((await rowsOf(r)).length < 1 && Date.now() < deadline) await Bun.sleep(10);
    // Settled to 11 + 7 real tokens, so a second large request fits again.
    const second = await r.chat({ max_tokens: 900 });
    expect(second.status).toBe(200);
    await second.text();
    const over = await r.chat({ max_tokens: 5000 });
    expect(over.status).toBe(429);
    expect((await json(over)).error.message).toContain("tokens per minute");
  });

  test("the concurrency cap holds while streams are open and frees as they end", async () => {
    const r = await start("[limits]\nconcurrency = 2");
    const open = await Promise.all([r.chat({ model: "slow", stream: true }), r.chat({ model: "slow", stream: true })]);
    const readers = open.map((res) => res.body!.getReader());
    await Promise.all(readers.map((rd) => rd.read()));
    r.fake.requests.length = 0;
    const third = await r.chat();
    expect(third.status).toBe(429);
    expect((await json(third)).error.message).toContain("in flight");
    expect(r.fake.requests.length).toBe(0);
    for (const rd of readers) while (!(await rd.read()).done);
    const deadline = Date.now() + 2_000;
    while ((await rowsOf(r)).filter((x) => x.status === 200).length < 2 && Date.now() < deadline) await Bun.sleep(10);
    expect((await r.chat()).status).toBe(200);
  });

  test("a monthly spend cap blocks before the upstream is called", async () => {
    const r = await start("[limits]\nmonthly_budget_usd = 0.01");
    const first = await r.chat();
    expect(first.status).toBe(200);
    await first.text();
    const deadline = Date.now() + 2_000;
    while ((await rowsOf(r)).length < 1 && Date.now() < deadline) await Bun.sleep(10);
    expect((await rowsOf(r))[0]!.costMicros).toBe(18_000);
    const calls = r.fake.requests.length;
    const blocked = await r.chat();
    expect(blocked.status).toBe(402);
    expect((await json(blocked)).error).toMatchObject({ type: "insufficient_quota", code: "insufficient_quota" });
    expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(r.fake.requests.length).toBe(calls);
  });

  test("a key's own monthly budget (monthly_budget_usd) gets 402 budget_exceeded before the upstream is called; the account's other keys go on", async () => {
    const r = await start("", { monthlyBudgetUsd: 0.01 });
    const first = await r.chat();
    expect(first.status).toBe(200);
    await first.text();
    const deadline = Date.now() + 2_000;
    while ((await rowsOf(r)).length < 1 && Date.now() < deadline) await Bun.sleep(10);
    const calls = r.fake.requests.length;
    const blocked = await r.chat();
    expect(blocked.status).toBe(402);
    expect((await json(blocked)).error).toMatchObject({
      type: "insufficient_quota",
      code: "insufficient_quota",
      message: "This key has reached its monthly budget of $0.01.",
    });
    expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(r.fake.requests.length).toBe(calls);
    const other = await makeKey(r.env.deps, r.accountId);
    const ok = await r.chat({}, other.key);
    expect(ok.status).toBe(200);
    await ok.text();
  });

  test("a key's budget counts its spend recorded before a restart", async () => {
    const r = await start("", { monthlyBudgetUsd: 0.01 });
    await (await r.chat()).text();
    await r.env.deps.usageWriter.flush();
    const fresh = createSpendTracker(r.env.deps.db, createMemoryCoordination(r.env.deps.clock).spend);
    expect(await fresh.keySpent(r.accountId, r.keyId, Date.now())).toBe(18_000);
    expect(await fresh.spent(r.accountId, Date.now())).toBe(18_000);
  });

  test("§5 process payments: a prepaid account at zero balance gets 402 without an upstream call; a top-up restores access", async () => {
    const r = await start("", {}, "prepaid");
    const refused = await r.chat();
    expect(refused.status).toBe(402);
    expect((await json(refused)).error.type).toBe("insufficient_quota");
    expect(r.fake.requests.length).toBe(0);
    await changeCredits(
      r.env.deps,
      { accountId: r.accountId, kind: "grant", amountMicros: 1_000_000, reason: "top-up" },
      "test",
    );
    const ok = await r.chat();
    expect(ok.status).toBe(200);
    expect(r.fake.requests.length).toBe(1);
  });
});

describe("§11 non-identifying metrics", () => {
  test("§2 minimal metadata: a model name that is not configured is recorded as `unknown` in rows, daily aggregates and labels, and /metrics stays bounded", async () => {
    const r = await start("");
    const EMAIL_MODEL = "victim.person@example.com";
    const randomBatch = (n: number) =>
      Promise.all(
        Array.from({ length: n }, async (_, i) =>
          (await r.chat({ model: i === 0 ? EMAIL_MODEL : `rnd-${crypto.randomUUID()}` })).text(),
        ),
      );
    const metricsSize = async () => {
      await r.env.deps.usageWriter.flush();
      return (await (await fetch(`${r.server.url}/metrics`)).text()).length;
    };
    await (await r.chat()).text();
    await randomBatch(20);
    const before = await metricsSize();
    for (let i = 0; i < 10; i++) await randomBatch(30);
    const text = await (await fetch(`${r.server.url}/metrics`)).text();
    // Counter values gain a digit or two; 300 more names would have added hundreds of series.
    expect(text.length - before).toBeLessThan(200);
    expect(text).not.toContain(EMAIL_MODEL);
    expect(text).not.toContain("rnd-");
    const models = new Set(
      parsePrometheus(text)
        .samples.map((s) => s.labels.model)
        .filter(Boolean),
    );
    expect([...models].sort()).toEqual(["m", "unknown"]);
    const rows = await rowsOf(r);
    expect(rows.length).toBe(321);
    expect(new Set(rows.map((x) => x.model))).toEqual(new Set(["m", "unknown"]));
    const daily = await all(r.env.deps.db.select().from(usageDaily));
    expect(daily.map((d) => [d.model, d.requests]).sort()).toEqual([
      ["m", 1],
      ["unknown", 320],
    ]);
  });

  test("/metrics parses as Prometheus text and carries no email, address, account or key id", async () => {
    const r = await start("");
    for (let i = 0; i < 3; i++) await (await r.chat()).text();
    await (await r.chat({}, "kr_bad.key.here")).text();
    const deadline = Date.now() + 2_000;
    while ((await rowsOf(r)).length < 3 && Date.now() < deadline) await Bun.sleep(10);
    const res = await fetch(`${r.server.url}/metrics`);
    expect(res.headers.get("content-type")).toContain("text/plain");
    const text = await res.text();
    const { samples } = parsePrometheus(text);
    expect(samples.find((s) => s.name === "kriora_requests_total" && s.labels.status === "200")?.value).toBe(3);
    expect(samples.some((s) => s.name === "kriora_request_duration_seconds_bucket")).toBe(true);
    expect(samples.some((s) => s.name === "kriora_usage_writer_flush_seconds_count")).toBe(true);
    for (const s of samples)
      for (const k of Object.keys(s.labels)) expect(["model", "provider", "status", "le"]).toContain(k);
    for (const secret of [EMAIL, "127.0.0.1", r.accountId, r.keyId, r.key]) expect(text).not.toContain(secret);
  });
});
