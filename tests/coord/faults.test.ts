import { afterAll, describe, expect, test } from "bun:test";
import { eq, sum } from "drizzle-orm";
import { usageEvents } from "../../src/db/schema";
import { all } from "../../src/db/tx";
import { startFakeUpstream } from "../helpers/fakeUpstream";
import { providerToml } from "../helpers/gateway";
import { revokeKey } from "../../src/keys/apiKeys";
import { makeAccount, makeKey } from "../helpers/identity";
import { startPrivateRedis } from "../helpers/privateServers";
import { skipWithout } from "../helpers/services";
import { startCluster, type Cluster } from "./cluster";

// Redis stopped under the gateway (a private redis-server on a free port, never the shared one):
// budgets fail closed with 503 coordination_unavailable in the route's wire format, rpm falls
// back to limit/N per instance (logged once), and everything recovers without a restart.
const fake = startFakeUpstream();
const redis = skipWithout("redis") ? null : await startPrivateRedis({ persist: false });
const clusters: Cluster[] = [];
afterAll(async () => {
  for (const c of clusters) await c.close();
  await redis?.destroy();
  await fake.stop();
});

const MODELS = `[[models]]\nid = "m"\nprovider = "oa"\nupstream = "fine"\ninput_usd_per_mtok = 1000\noutput_usd_per_mtok = 1000\n`;

async function start(toml: string) {
  const c = await startCluster(
    1,
    `[redis]\nurl = "${redis!.url}"\ninstances = 2\n${toml}\n${providerToml({ id: "oa", kind: "openai", url: fake.url })}${MODELS}`,
  );
  clusters.push(c);
  const deps = c.instances[0]!.deps;
  const account = await makeAccount(deps, `user-${clusters.length}@example.com`);
  const { key } = await makeKey(deps, account.id);
  const post = async (path: string, body: Record<string, unknown>) => {
    const res = await fetch(`${c.instances[0]!.server.url}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  const chat = () => post("/v1/chat/completions", { model: "m", messages: [{ role: "user", content: "hi" }] });
  const messages = () =>
    post("/v1/messages", { model: "m", max_tokens: 10, messages: [{ role: "user", content: "hi" }] });
  return { c, deps, account, chat, messages, log: c.instances[0]!.log };
}

describe.skipIf(redis === null)("Redis unreachable", () => {
  test("a request that needs a budget gets 503 coordination_unavailable in its route's format; recovery needs no restart and counts nothing twice", async () => {
    const g = await start("[limits]\nmonthly_budget_usd = 100");
    expect((await g.chat()).status).toBe(200);
    await g.deps.usageWriter.flush();
    await redis!.stop();
    const refused = await g.chat();
    expect(refused.status).toBe(503);
    expect(refused.body.error).toMatchObject({ code: "coordination_unavailable", type: "api_error" });
    const anthropic = await g.messages();
    expect(anthropic.status).toBe(503);
    expect(anthropic.body).toMatchObject({ type: "error", error: { type: "overloaded_error" } });
    await redis!.start();
    let status = 0;
    for (let i = 0; i < 100 && status !== 200; i++) {
      status = (await g.chat()).status;
      if (status !== 200) await Bun.sleep(50);
    }
    expect(status).toBe(200);
    expect((await g.chat()).status).toBe(200);
    // Redis came back empty: the month's spend is loaded again from the usage rows (the first
    // request's included), then advanced once per request; the first request's add, which Redis
    // lost, is not replayed on top (that would count it twice). Background retries run every 500 ms.
    await Bun.sleep(1_200);
    await g.deps.usageWriter.flush();
    const [row] = await all(
      g.deps.db
        .select({ total: sum(usageEvents.costMicros) })
        .from(usageEvents)
        .where(eq(usageEvents.accountId, g.account.id)),
    );
    expect(await g.deps.spend.spent(g.account.id, Date.now())).toBe(Number(row!.total));
    expect(Number(row!.total)).toBe(3 * 18_000);
  });

  test("a prepaid check fails closed too", async () => {
    const g = await start('[billing]\nmode = "prepaid"');
    await g.deps.billing.changeCredits(
      { accountId: g.account.id, kind: "grant", amountMicros: 1_000_000, reason: "credit" },
      "test",
    );
    expect((await g.chat()).status).toBe(200);
    await redis!.stop();
    const refused = await g.chat();
    expect([refused.status, refused.body.error?.code]).toEqual([503, "coordination_unavailable"]);
    await redis!.start();
  });

  test("without a budget, rpm falls back to limit/N in this instance (logged once), and is shared again after", async () => {
    const g = await start("[limits]\nrpm = 4");
    await redis!.stop();
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await g.chat()).status);
    // rpm 4 over 2 instances: 2 here while Redis is down.
    expect(statuses).toEqual([200, 200, 429, 429]);
    expect(g.log.lines.filter((l) => l.includes('"limits_per_instance"')).length).toBe(1);
    await redis!.start();
    let status = 0;
    for (let i = 0; i < 100 && status !== 200; i++) {
      status = (await g.chat()).status;
      if (status !== 200) await Bun.sleep(50);
    }
    // Redis came back empty: a full shared bucket of 4, one taken just now.
    expect(status).toBe(200);
    const after = [];
    for (let i = 0; i < 4; i++) after.push((await g.chat()).status);
    expect(after).toEqual([200, 200, 200, 429]);
  });

  test("the invalidation feed survives a Redis restart: a revocation on A is refused on B within a second", async () => {
    const c = await startCluster(
      2,
      `[redis]\nurl = "${redis!.url}"\n${providerToml({ id: "oa", kind: "openai", url: fake.url })}${MODELS}`,
    );
    clusters.push(c);
    const [a, b] = c.instances;
    const account = await makeAccount(a!.deps, "feed-user@example.com");
    const { key, id } = await makeKey(a!.deps, account.id);
    const models = async () => {
      const res = await fetch(`${b!.server.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } });
      await res.text();
      return res.status;
    };
    expect(await models()).toBe(200);
    await redis!.stop();
    await redis!.start();
    // A's publish waits for its link to come back; B's subscriber reconnects (and reloads, as it may have missed some).
    await Bun.sleep(1_200);
    await revokeKey(a!.deps, id, "test");
    const deadline = Date.now() + 1_000;
    let status = 200;
    while (status !== 401 && Date.now() < deadline) {
      status = await models();
      if (status !== 401) await Bun.sleep(20);
    }
    expect(status).toBe(401);
  });
});
