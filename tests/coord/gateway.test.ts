import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { ledgerBalance } from "../../src/billing/ledger";
import { usageEvents } from "../../src/db/schema";
import { all } from "../../src/db/tx";
import { revokeKey } from "../../src/keys/apiKeys";
import { startFakeUpstream, type FakeUpstream } from "../helpers/fakeUpstream";
import { providerToml } from "../helpers/gateway";
import { makeAccount, makeKey } from "../helpers/identity";
import { startCluster, type Cluster } from "./cluster";
import { dropPrefix, testRedisUrl, uniquePrefix } from "./redisTest";
import { skipWithout } from "../helpers/services";

// Three gateway instances on one database and one Redis, requests spread round-robin.
const prefix = uniquePrefix("gateway");
let fake: FakeUpstream | undefined;
let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.close();
  await fake?.stop();
  cluster = undefined;
  fake = undefined;
});
afterAll(async () => {
  if (testRedisUrl) await dropPrefix(testRedisUrl, prefix);
});

/** Model `m` costs 1,000 USD per million tokens: the fake upstream's 18 tokens cost 18,000 micro-dollars. */
const COST = 18_000;

async function start(toml: string) {
  fake = startFakeUpstream();
  const models = `[[models]]\nid = "m"\nprovider = "oa"\nupstream = "fine"\ninput_usd_per_mtok = 1000\noutput_usd_per_mtok = 1000\nmax_tokens_default = 50\n`;
  cluster = await startCluster(
    3,
    `[redis]\nurl = "${testRedisUrl}"\nprefix = "${prefix}${crypto.randomUUID().slice(0, 6)}:"\n${toml}\n${providerToml({ id: "oa", kind: "openai", url: fake.url })}${models}`,
  );
  return cluster;
}

const chat = (c: Cluster, i: number, key: string, body: Record<string, unknown> = {}) =>
  fetch(`${c.instances[i % c.instances.length]!.server.url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }], ...body }),
  });

/** `n` requests at once, round-robin over the instances; their statuses. */
async function wave(c: Cluster, n: number, key: string, body: Record<string, unknown> = {}) {
  return Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const res = await chat(c, i, key, body);
      await res.text();
      return res.status;
    }),
  );
}

describe.skipIf(skipWithout("redis"))("several instances on one Redis", () => {
  test("an account rpm of 6 admits exactly 6 of 30 concurrent requests spread over three instances", async () => {
    const c = await start("[limits]\nrpm = 6");
    const account = await makeAccount(c.instances[0]!.deps, "rpm-user@example.com");
    const { key } = await makeKey(c.instances[0]!.deps, account.id);
    const statuses = await wave(c, 30, key);
    expect(statuses.filter((s) => s === 200).length).toBe(6);
    expect(statuses.filter((s) => s === 429).length).toBe(24);
  });

  test("a prepaid balance worth 5 requests admits at most 5, never below zero by more than one hold; usage rows equal requests", async () => {
    const c = await start('[billing]\nmode = "prepaid"');
    const a = c.instances[0]!.deps;
    const account = await makeAccount(a, "prepaid-user@example.com");
    const { key } = await makeKey(a, account.id);
    await a.billing.changeCredits(
      { accountId: account.id, kind: "grant", amountMicros: 5 * COST, reason: "five requests" },
      "test",
    );
    let admitted = 0;
    // max_tokens 50: each request holds more than it will cost, as a cautious estimate does.
    for (let round = 0; round < 8; round++) {
      const statuses = await wave(c, 9, key, { max_tokens: 50 });
      admitted += statuses.filter((s) => s === 200).length;
      expect(statuses.every((s) => s === 200 || s === 402)).toBe(true);
    }
    for (const i of c.instances) await i.deps.usageWriter.flush();
    expect(admitted).toBe(5);
    const rows = await all(a.db.select().from(usageEvents).where(eq(usageEvents.accountId, account.id)));
    expect(rows.filter((r) => r.status === 200).length).toBe(admitted);
    expect(await ledgerBalance(a.db, account.id)).toBe(BigInt(5 * COST - admitted * COST));
  });

  test("a request without max_tokens holds the model's default output cap: a balance worth 5 admits at most 5", async () => {
    const c = await start('[billing]\nmode = "prepaid"');
    const a = c.instances[0]!.deps;
    const account = await makeAccount(a, "uncapped-user@example.com");
    const { key } = await makeKey(a, account.id);
    await a.billing.changeCredits(
      { accountId: account.id, kind: "grant", amountMicros: 5 * COST, reason: "five requests" },
      "test",
    );
    let admitted = 0;
    for (let round = 0; round < 8; round++) admitted += (await wave(c, 9, key)).filter((s) => s === 200).length;
    for (const i of c.instances) await i.deps.usageWriter.flush();
    expect(admitted).toBe(5);
    expect(await ledgerBalance(a.db, account.id)).toBe(0n);
  });

  test("a key issued on A works on B and C; revoked on B, it is refused on A and C within a second", async () => {
    const c = await start("");
    const [a, b, cc] = c.instances;
    const account = await makeAccount(a!.deps, "revoke-user@example.com");
    const { key, id } = await makeKey(a!.deps, account.id);
    expect(await wave(c, 3, key)).toEqual([200, 200, 200]);
    await revokeKey(b!.deps, id, "test");
    const deadline = Date.now() + 1_000;
    let statuses: number[] = [];
    while (Date.now() < deadline) {
      statuses = await Promise.all(
        [a!, cc!].map(async (i) => {
          const res = await fetch(`${i.server.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } });
          await res.text();
          return res.status;
        }),
      );
      if (statuses.every((s) => s === 401)) break;
      await Bun.sleep(20);
    }
    expect(statuses).toEqual([401, 401]);
  });

  test("a credit granted on one instance after the wallets were seeded lets exactly that much more through, on every instance", async () => {
    const c = await start('[billing]\nmode = "prepaid"');
    const [a, b] = c.instances;
    const account = await makeAccount(a!.deps, "topup-user@example.com");
    const { key } = await makeKey(a!.deps, account.id);
    const grant = (micros: number) =>
      b!.deps.billing.changeCredits(
        { accountId: account.id, kind: "grant", amountMicros: micros, reason: "credit" },
        "test",
      );
    await grant(COST);
    const first = await wave(c, 6, key, { max_tokens: 50 });
    expect(first.filter((s) => s === 200).length).toBe(1);
    // Every instance's wallet view is seeded now; the grant reaches Redis once, whoever reads it first.
    await grant(2 * COST);
    let admitted = 0;
    for (let round = 0; round < 4; round++)
      admitted += (await wave(c, 6, key, { max_tokens: 50 })).filter((s) => s === 200).length;
    expect(admitted).toBe(2);
  });

  test("20 failed authentications spread over the instances block the address on all of them", async () => {
    const c = await start("");
    const account = await makeAccount(c.instances[0]!.deps, "abuse-user@example.com");
    const { key } = await makeKey(c.instances[0]!.deps, account.id);
    const bad = `${key.slice(0, -4)}AAAA`;
    // The client address is 127.0.0.1 for all of them: the same counter, whichever instance counts.
    for (let i = 0; i < 20; i++) expect((await chat(c, i, bad)).status).toBe(401);
    let statuses: number[] = [];
    for (let tries = 0; tries < 50; tries++) {
      statuses = await wave(c, 3, key);
      if (statuses.every((s) => s === 429)) break;
      await Bun.sleep(20);
    }
    expect(statuses).toEqual([429, 429, 429]);
    expect((await c.instances[0]!.deps.abuse.active()).filter((f) => f.kind === "address_block").length).toBe(1);
  });

  test("the sign-in throttle counts an address's requests on every instance together", async () => {
    const c = await start("");
    const statuses = [];
    for (let i = 0; i < 7; i++) {
      const res = await fetch(`${c.instances[i % 3]!.server.url}/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/json", "sec-fetch-site": "same-origin" },
        body: JSON.stringify({ email: "someone@example.com" }),
      });
      await res.text();
      statuses.push(res.status);
    }
    // 5 per address and client address per 15 minutes, counted across the three.
    expect(statuses).toEqual([202, 202, 202, 202, 202, 429, 429]);
  });
});
