import { afterEach, describe, expect, test } from "bun:test";
import { createApp } from "../../src/http/app";
import { objectToTrends } from "../../src/usage/query";
import { pricedModels } from "../helpers/billing";
import { runKriora } from "../helpers/cli";
import { makeTestEnv, type TestEnv } from "../helpers/deps";
import { json } from "../helpers/http";
import { call, makeAccount, makeKey } from "../helpers/identity";
import { usageEvent } from "../helpers/usage";

let env: TestEnv | undefined;
afterEach(() => env?.close());

const PRICED = pricedModels([
  ["m", 1, 2],
  ["n", 0, 0],
]);

async function setup() {
  env = await makeTestEnv(PRICED);
  const deps = env.deps;
  const alice = await makeAccount(deps, "alice@example.com");
  const bob = await makeAccount(deps, "bob@example.com");
  const admin = await makeAccount(deps, "admin@example.com", "admin");
  const day = (d: number, h = 12) => Date.UTC(2026, 10, d, h);
  let i = 0;
  const rec = (accountId: string, at: number, model = "m", over = {}) =>
    deps.usage.record(usageEvent(i++, { accountId, at, model, inputTokens: 1000, outputTokens: 500, ...over }));
  rec(alice.id, day(1));
  rec(alice.id, day(1), "n");
  rec(alice.id, day(2));
  rec(alice.id, day(3), "m", { outcome: "upstream_error", status: 502 });
  rec(bob.id, day(2));
  await deps.usageWriter.flush();
  const app = createApp(deps);
  return {
    deps,
    app,
    alice,
    bob,
    aliceKey: (await makeKey(deps, alice.id)).key,
    bobKey: (await makeKey(deps, bob.id)).key,
    adminKey: (await makeKey(deps, admin.id, { scopes: ["admin", "account"] })).key,
  };
}

describe("§2 usage data: reading it back", () => {
  test("GET /account/usage: your totals, by day and by model, in exact dollars", async () => {
    const { app, aliceKey, alice } = await setup();
    const all = await json(await call(app, "GET", "/account/usage", { key: aliceKey }));
    expect(all.account_id).toBe(alice.id);
    expect(all.totals).toMatchObject({
      requests: 4,
      input_tokens: 4000,
      output_tokens: 2000,
      errors: 1,
      cost_micros: 6000,
      cost_usd: "0.006",
    });
    const byDay = await json(await call(app, "GET", "/account/usage?group_by=day&from=2026-11-02", { key: aliceKey }));
    expect(byDay.groups.map((g: { day: string; requests: number }) => [g.day, g.requests])).toEqual([
      ["2026-11-02", 1],
      ["2026-11-03", 1],
    ]);
    expect(byDay.totals.requests).toBe(2);
    const byModel = await json(await call(app, "GET", "/account/usage?group_by=model", { key: aliceKey }));
    expect(byModel.groups.map((g: { model: string; cost_micros: number }) => [g.model, g.cost_micros])).toEqual([
      ["m", 6000],
      ["n", 0],
    ]);
  });

  test("§9 access control: you see only your own usage; a bad range is a 400 naming the field", async () => {
    const { app, bobKey } = await setup();
    const bob = await json(await call(app, "GET", "/account/usage", { key: bobKey }));
    expect(bob.totals.requests).toBe(1);
    const bad = await call(app, "GET", "/account/usage?from=yesterday", { key: bobKey });
    expect(bad.status).toBe(400);
    expect((await json(bad)).error.param).toBe("/from");
    expect((await call(app, "GET", "/account/usage")).status).toBe(401);
  });

  test("§9 access control: admin usage routes are 403 for others, 404 for unknown accounts, audited for admins", async () => {
    const { deps, app, alice, aliceKey, adminKey } = await setup();
    expect((await call(app, "GET", `/admin/accounts/${alice.id}/usage`, { key: aliceKey })).status).toBe(403);
    expect((await call(app, "GET", "/admin/usage/trends", { key: aliceKey })).status).toBe(403);
    expect((await call(app, "GET", "/admin/accounts/acc_nobody/usage", { key: adminKey })).status).toBe(404);
    const res = await json(await call(app, "GET", `/admin/accounts/${alice.id}/usage`, { key: adminKey }));
    expect(res.totals.requests).toBe(4);
    expect((await deps.audit.tail(1))[0]).toMatchObject({ action: "usage.read", target: alice.id });
  });

  test("§11 objection: trends leave out an account from the moment it objects", async () => {
    const { deps, app, bob, adminKey } = await setup();
    const before = await json(await call(app, "GET", "/admin/usage/trends", { key: adminKey }));
    const requests = (rows: { requests: number }[]) => rows.reduce((s, r) => s + r.requests, 0);
    expect(requests(before)).toBe(5);
    await objectToTrends(deps.db, bob.id, deps.clock.now());
    const after = await json(await call(app, "GET", "/admin/usage/trends", { key: adminKey }));
    expect(requests(after)).toBe(4);
    expect(JSON.stringify(after)).not.toContain(bob.id);
  });

  test("§14 restriction (Art. 18): a restricted account's usage is left out of trends while it lasts", async () => {
    const { deps, app, alice, adminKey } = await setup();
    const requests = async () =>
      (await json(await call(app, "GET", "/admin/usage/trends", { key: adminKey }))).reduce(
        (s: number, r: { requests: number }) => s + r.requests,
        0,
      );
    expect(await requests()).toBe(5);
    deps.handle.sqlite.run("UPDATE accounts SET status = 'restricted' WHERE id = ?", [alice.id]);
    expect(await requests()).toBe(1);
    deps.handle.sqlite.run("UPDATE accounts SET status = 'active' WHERE id = ?", [alice.id]);
    expect(await requests()).toBe(5);
  });

  test("`kriora usage --account <email> --json` prints one document with the totals", async () => {
    const { deps } = await setup();
    deps.handle.close();
    const res = await runKriora(`${env!.dir}/data`, [
      "usage",
      "--account",
      "alice@example.com",
      "--json",
      "--config",
      `${env!.dir}/kriora.toml`,
    ]);
    expect(res.code).toBe(0);
    expect(JSON.parse(res.out)).toMatchObject({
      requests: 4,
      input_tokens: 4000,
      output_tokens: 2000,
      cost_usd: "0.006",
    });
    const ranged = await runKriora(`${env!.dir}/data`, [
      "usage",
      "--account",
      "alice@example.com",
      "--from",
      "2026-11-03",
      "--json",
    ]);
    expect(JSON.parse(ranged.out).requests).toBe(1);
    expect(
      (await runKriora(`${env!.dir}/data`, ["usage", "--account", "alice@example.com", "--from", "Nov 3"])).code,
    ).toBe(2);
  });
});
