import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { ledgerBalance } from "../../src/billing/ledger";
import { usageEvents } from "../../src/db/schema";
import { revokeKey } from "../../src/keys/apiKeys";
import { startFakeUpstream, type FakeUpstream } from "../helpers/fakeUpstream";
import { providerToml } from "../helpers/gateway";
import { makeAccount, makeKey } from "../helpers/identity";
import { startCluster, type Cluster } from "./cluster";
import { dropPrefix, testRedisUrl, uniquePrefix } from "./redisTest";

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

function start(toml: string) {
  fake = startFakeUpstream();
  const models = `[[models]]\nid = "m"\nprovider = "oa"\nupstream = "fine"\ninput_usd_per_mtok = 1000\noutput_usd_per_mtok = 1000\n`;
  cluster = startCluster(
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

describe.skipIf(!testRedisUrl)("several instances on one Redis", () => {
  test("an account rpm of 6 admits exactly 6 of 30 concurrent requests spread over three instances", async () => {
    const c = start("[limits]\nrpm = 6");
    const account = makeAccount(c.instances[0]!.deps, "rpm-user@example.com");
    const { key } = await makeKey(c.instances[0]!.deps, account.id);
    const statuses = await wave(c, 30, key);
    expect(statuses.filter((s) => s === 200).length).toBe(6);
    expect(statuses.filter((s) => s === 429).length).toBe(24);
  });

  test("a prepaid balance worth 5 requests admits at most 5, never below zero by more than one hold; usage rows equal requests", async () => {
    const c = start('[billing]\nmode = "prepaid"');
    const a = c.instances[0]!.deps;
    const account = makeAccount(a, "prepaid-user@example.com");
    const { key } = await makeKey(a, account.id);
    a.billing.changeCredits(
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
    for (const i of c.instances) i.deps.usageWriter.flush();
    expect(admitted).toBe(5);
    const rows = a.db.select().from(usageEvents).where(eq(usageEvents.accountId, account.id)).all();
    expect(rows.filter((r) => r.status === 200).length).toBe(admitted);
    expect(ledgerBalance(a.db, account.id)).toBe(BigInt(5 * COST - admitted * COST));
  });

  test("a key issued on A works on B and C; revoked on B, it is refused on A and C within a second", async () => {
    const c = start("");
    const [a, b, cc] = c.instances;
    const account = makeAccount(a!.deps, "revoke-user@example.com");
    const { key, id } = await makeKey(a!.deps, account.id);
    expect(await wave(c, 3, key)).toEqual([200, 200, 200]);
    revokeKey(b!.deps, id, "test");
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
});
