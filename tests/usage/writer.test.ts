import { afterEach, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { count, eq, lte, sum, type SQL } from "drizzle-orm";
import { openHandle } from "../../src/db/client";
import { createAccount } from "../../src/accounts/accounts";
import { DecryptError } from "../../src/crypto/fields";
import { dataKeys, usageDaily, usageEvents } from "../../src/db/schema";
import { createMemoryCoordination } from "../../src/coord/memory";
import { createRequestControls } from "../../src/requestControls";
import { createUsageWriter } from "../../src/usage/writer";
import { PRICED_MODEL } from "../helpers/billing";
import { makeTestEnv, onPostgres, sqliteOf, storedBytes, type TestEnv } from "../helpers/deps";
import { usageEvent } from "../helpers/usage";
import { all, exec, one } from "../../src/db/tx";
import { databaseEnv } from "../helpers/pg";

let env: TestEnv | undefined;
afterEach(() => env?.close());

const MODELS = PRICED_MODEL;

async function setup() {
  env = await makeTestEnv(MODELS);
  const m = await createRequestControls({ ...env.deps });
  return { env, m };
}

/** A writer whose interval timer (ten minutes) never fires in a test: only a full batch of `batchRows` starts a flush. */
async function batchWriter(batchRows: number) {
  const { env, m } = await setup();
  const writer = createUsageWriter({
    db: env.deps.db,
    dataKeys: env.deps.dataKeys,
    log: env.deps.log,
    metrics: m.metrics,
    spend: m.spend,
    pricesFor: () => undefined,
    intervalMs: 600_000,
    batchRows,
  });
  return { env, writer };
}

describe("§2 usage data: the batched writer", () => {
  test("N recorded events become exactly N rows and matching daily aggregates, in one flush", async () => {
    const { env, m } = await setup();
    for (let i = 0; i < 250; i++) m.usageWriter.record(usageEvent(i));
    m.usageWriter.record(usageEvent(250, { outcome: "upstream_error", status: 502, outputTokens: 0 }));
    expect(m.usageWriter.pending()).toBe(251);
    await m.usageWriter.flush();
    expect(m.usageWriter.pending()).toBe(0);
    const rows = await all(env.deps.db.select().from(usageEvents));
    expect(rows.length).toBe(251);
    expect(rows.find((r) => r.id === "req_000007")).toMatchObject({
      inputTokens: 107,
      outputTokens: 10,
      costMicros: 127,
      stream: true,
      estimated: false,
    });
    const daily = await all(env.deps.db.select().from(usageDaily));
    expect(daily).toEqual([
      {
        day: "2026-11-27",
        accountId: "acc_a",
        model: "m",
        requests: 251,
        inputTokens: rows.reduce((s, r) => s + r.inputTokens, 0),
        outputTokens: 2500,
        cachedInputTokens: 0,
        costMicros: rows.reduce((s, r) => s + r.costMicros, 0),
        errors: 1,
      },
    ]);
  });

  test("a full batch is written at once, even while the interval's timer is still pending", async () => {
    const { env, writer } = await batchWriter(10);
    writer.record(usageEvent(0));
    for (let i = 1; i < 10; i++) writer.record(usageEvent(i));
    // The first row set a ten-minute timer; the tenth must not wait for it.
    for (let waited = 0; writer.pending() > 0 && waited < 5_000; waited += 20) await Bun.sleep(20);
    expect(writer.pending()).toBe(0);
    await writer.close();
    expect(await all(env.deps.db.select().from(usageEvents))).toHaveLength(10);
  });

  test("the timer drains a full batch in transactions of at most 256 rows, letting other work run between them", async () => {
    const { env, writer } = await batchWriter(1_000);
    for (let i = 0; i < 1_000; i++) writer.record(usageEvent(i));
    // Each tick of a steady timer stands for a request waiting for the loop: it sees the rows
    // still queued, which fall one slice at a time.
    const seen: number[] = [];
    const tick = setInterval(() => seen.push(writer.pending()), 0);
    for (let waited = 0; writer.pending() > 0 && waited < 5_000; waited += 5) await Bun.sleep(5);
    clearInterval(tick);
    expect(writer.pending()).toBe(0);
    const draining = seen.filter((n) => n > 0 && n < 1_000);
    // At most 256 rows between two chances for a waiting request: 1,000 rows drain in four slices.
    expect(draining.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < draining.length; i++) expect(draining[i - 1]! - draining[i]!).toBeLessThanOrEqual(256);
    await writer.close();
    expect(await all(env.deps.db.select().from(usageEvents))).toHaveLength(1_000);
  });

  test("§9 encryption at rest: the address is stored encrypted under its account's data key, bound to its row", async () => {
    const { env, m } = await setup();
    const account = await createAccount(env.deps, { email: "writer@example.com" }, "cli");
    m.usageWriter.record(usageEvent(1, { accountId: account.id, clientIp: "198.51.100.23" }));
    m.usageWriter.record(usageEvent(2, { accountId: account.id, clientIp: null }));
    await m.usageWriter.flush();
    const row = (await all(env.deps.db.select().from(usageEvents)))[0]!;
    expect(row.ipEnc).not.toContain("198.51.100.23");
    const where = { table: "usage_events", column: "ip", rowId: row.id };
    const key = (await env.deps.dataKeys.get(env.deps.db, account.id))!;
    expect(key.decrypt(row.ipEnc!, where)).toBe("198.51.100.23");
    expect(() => env.deps.cipher.decrypt(row.ipEnc!, where)).toThrow(DecryptError);
    expect(() => key.decrypt(row.ipEnc!, { ...where, rowId: "req_000002" })).toThrow(DecryptError);
    const file = storedBytes(env.deps);
    expect(file.includes("198.51.100.23")).toBe(false);
    // Positive control: the same scan finds a value that is stored in clear.
    expect(file.includes("req_000001")).toBe(true);
  });

  test("an account without a data key (erased while its request ran) gets its row, without the address", async () => {
    const { env, m } = await setup();
    m.usageWriter.record(usageEvent(1, { accountId: "acc_gone", clientIp: "198.51.100.24" }));
    await m.usageWriter.flush();
    expect(await all(env.deps.db.select().from(usageEvents))).toMatchObject([{ id: "req_000001", ipEnc: null }]);
  });

  test("a data key that cannot be unwrapped costs the address, not the row: one warning without the address", async () => {
    const { env, m } = await setup();
    const account = await createAccount(env.deps, { email: "unwrap@example.com" }, "cli");
    await exec(env.deps.db.update(dataKeys).set({ wrapped: "w1.k9.AAAA" }).where(eq(dataKeys.ownerId, account.id)));
    for (const i of [1, 2]) m.usageWriter.record(usageEvent(i, { accountId: account.id, clientIp: "198.51.100.25" }));
    await m.usageWriter.flush();
    expect((await all(env.deps.db.select().from(usageEvents))).map((r) => r.ipEnc)).toEqual([null, null]);
    const warnings = env.log.lines.filter((l) => l.includes("usage_ip_key_unavailable"));
    expect(warnings).toHaveLength(1);
    expect(env.log.text()).not.toContain("198.51.100.25");
  });

  test("rows are flushed by the timer within ~100 ms without an explicit flush", async () => {
    const { env, m } = await setup();
    m.usageWriter.record(usageEvent(1));
    await Bun.sleep(400);
    expect((await all(env.deps.db.select().from(usageEvents))).length).toBe(1);
  });

  test.skipIf(onPostgres)(
    "SQLite: a locked database: the flush fails whole, rows stay queued, one alert without personal data; then it recovers",
    async () => {
      const { env, m } = await setup();
      const other = new Database(env.deps.config.database.path);
      other.run("PRAGMA busy_timeout = 0");
      other.run("BEGIN IMMEDIATE");
      sqliteOf(env.deps).run("PRAGMA busy_timeout = 0");
      for (let i = 0; i < 5; i++) m.usageWriter.record(usageEvent(i));
      await m.usageWriter.flush();
      await m.usageWriter.flush();
      expect(m.usageWriter.pending()).toBe(5);
      const alerts = env.log.lines.filter((l) => l.includes("usage_writer_failed"));
      expect(alerts.length).toBe(1);
      expect(alerts[0]).toContain('"level":"error"');
      expect(env.log.text()).not.toContain("203.0.113.77");
      expect(env.log.text()).not.toContain("acc_a");
      other.run("ROLLBACK");
      other.close();
      await m.usageWriter.flush();
      expect(m.usageWriter.pending()).toBe(0);
      expect((await all(env.deps.db.select().from(usageEvents))).length).toBe(5);
      expect((await one(env.deps.db.select().from(usageDaily)))?.requests).toBe(5);
      expect(env.log.text()).toContain("usage_writer_recovered");
    },
  );

  test("metrics count requests and tokens by model/provider/status", async () => {
    const { m } = await setup();
    m.usageWriter.record(usageEvent(1));
    m.usageWriter.record(usageEvent(2, { status: 502, outcome: "upstream_error" }));
    const text = m.metrics.registry.render();
    expect(text).toContain('kriora_requests_total{model="m",provider="p",status="200"} 1');
    expect(text).toContain('kriora_upstream_errors_total{provider="p",status="502"} 1');
    expect(text).toContain('kriora_input_tokens_total{model="m",provider="p"} 203');
    expect(text).toContain("kriora_usage_writer_queue_depth 2");
  });

  test("the spend tracker sees usage before it is flushed, and loads flushed spend after a restart", async () => {
    const { env, m } = await setup();
    const now = Date.UTC(2026, 10, 27, 13);
    // Admission reads the month's spend before the request, so its usage lands on a loaded counter.
    expect(await m.spend.spent("acc_a", now)).toBe(0);
    m.usageWriter.record(usageEvent(1, { inputTokens: 1_000_000, outputTokens: 0 }));
    expect(await m.spend.spent("acc_a", now)).toBe(1_000_000);
    await m.usageWriter.flush();
    const again = await createRequestControls({ ...env.deps, coord: createMemoryCoordination(env.deps.clock) });
    expect(await again.spend.spent("acc_a", now)).toBe(1_000_000);
    expect(await again.spend.spent("acc_a", Date.UTC(2026, 11, 1))).toBe(0);
  });
});

describe("§2 usage data: crash safety", () => {
  test("kill -9 under load: every row flushed before the kill is there, aggregates agree, the database opens clean", async () => {
    env = await makeTestEnv(MODELS);
    await env.deps.handle.close();
    const child = Bun.spawn(
      [process.execPath, `${import.meta.dir}/fixtures/writer-child.ts`, `${env.dir}/data`, `${env.dir}/kriora.toml`],
      { stdout: "pipe", stderr: "inherit", env: { ...process.env, ...(await databaseEnv(`${env.dir}/data`)) } },
    );
    let out = "";
    const decoder = new TextDecoder();
    const reader = child.stdout.getReader();
    const deadline = Date.now() + 15_000;
    while ((out.match(/flushed/g) ?? []).length < 10 && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      out += decoder.decode(value);
    }
    child.kill("SIGKILL");
    await child.exited;
    const reported = Math.max(...[...out.matchAll(/flushed (\d+)/g)].map((m) => Number(m[1])));
    expect(reported).toBeGreaterThanOrEqual(2000);

    const handle = await openHandle(env.deps.config.database);
    try {
      if (handle.dialect === "sqlite")
        expect(handle.sqlite.query("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" });
      const rows = (where?: SQL) => one(handle.db.select({ n: count() }).from(usageEvents).where(where));
      const stored = (await rows())!.n;
      expect(stored).toBeGreaterThanOrEqual(reported);
      const flushed = await rows(lte(usageEvents.id, `req_${String(reported - 1).padStart(6, "0")}`));
      expect(flushed!.n).toBe(reported);
      const daily = await one(handle.db.select({ n: sum(usageDaily.requests) }).from(usageDaily));
      expect(Number(daily!.n)).toBe(stored);
    } finally {
      await handle.close();
    }
  });
});
