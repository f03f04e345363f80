import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startServer, type RunningServer } from "../../src/http/serve";
import { makeTestEnv, type TestEnv } from "../helpers/deps";
import { startFakeUpstream, type FakeUpstream } from "../helpers/fakeUpstream";
import { providersToml } from "../helpers/gateway";
import { makeAccount, makeKey } from "../helpers/identity";

let fake: FakeUpstream;
let env: TestEnv;
let server: RunningServer;
let key: { id: string; key: string };
let accountId: string;

beforeAll(async () => {
  fake = startFakeUpstream();
  env = await makeTestEnv(providersToml(fake.url));
  accountId = (await makeAccount(env.deps, "full-disk@example.com")).id;
  key = await makeKey(env.deps, accountId);
  server = startServer(env.deps);
});
afterAll(async () => {
  await server.stop();
  await fake.stop();
  env.close();
});

const sqlite = () => env.deps.handle.sqlite;
const chat = async (stream = false) => {
  const res = await fetch(`${server.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key.key}` },
    body: JSON.stringify({ model: "fine", stream, messages: [{ role: "user", content: "hello" }] }),
  });
  await res.text();
  return res.status;
};
/** Rows and daily aggregates agree: every flush committed both or neither. */
const stored = () => {
  const { rows } = sqlite().query("SELECT count(*) AS rows FROM usage_events").get() as { rows: number };
  const { daily } = sqlite().query("SELECT coalesce(sum(requests), 0) AS daily FROM usage_daily").get() as {
    daily: number;
  };
  return { rows, daily };
};
const until = async (done: () => boolean, ms = 5_000) => {
  const deadline = Date.now() + ms;
  while (!done() && Date.now() < deadline) await Bun.sleep(20);
};
const alerts = () => env.log.lines.filter((l) => l.includes("usage_writer_failed")).map((l) => JSON.parse(l));

describe("§2 usage data: a full disk under the usage writer", () => {
  test("requests keep being served, nothing is half-written, one alert without personal data, and it recovers when space returns", async () => {
    expect(await chat()).toBe(200);
    await until(() => stored().rows === 1);
    expect(stored()).toEqual({ rows: 1, daily: 1 });

    // The database may not grow any more: the next insert that needs a page fails with SQLITE_FULL.
    const { page_count } = sqlite().query("PRAGMA page_count").get() as { page_count: number };
    sqlite().run(`PRAGMA max_page_count = ${page_count}`);
    const served: number[] = [];
    for (let i = 0; i < 80; i++) served.push(await chat(i % 2 === 0));
    expect(served.every((s) => s === 200)).toBe(true);
    await until(() => alerts().length > 0);
    await Bun.sleep(1_200);

    const full = stored();
    expect(full.rows).toBe(full.daily);
    expect(full.rows).toBeLessThan(81);
    expect(env.deps.usageWriter.pending()).toBe(81 - full.rows);
    expect(alerts()).toHaveLength(1);
    const [alert] = alerts();
    expect(Object.keys(alert).sort()).toEqual(["code", "event", "kind", "level", "queued"]);
    expect(alert).toMatchObject({ level: "error", kind: "SQLiteError", code: "SQLITE_FULL" });
    for (const personal of ["full-disk@example.com", accountId, key.id, "127.0.0.1"])
      expect(env.log.text()).not.toContain(personal);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/kriora_usage_writer_failures_total [1-9]/);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);

    sqlite().run("PRAGMA max_page_count = 1073741823");
    await until(() => env.deps.usageWriter.pending() === 0);
    expect(stored()).toEqual({ rows: 81, daily: 81 });
    expect(env.log.text()).toContain("usage_writer_recovered");
    expect(alerts()).toHaveLength(1);
  }, 15_000);
});
