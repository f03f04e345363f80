import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { createApp } from "../../src/http/app";
import { usageTrends } from "../../src/usage/query";
import { runKriora } from "../helpers/cli";
import { makeTestEnv, type TestEnv } from "../helpers/deps";
import { json } from "../helpers/http";
import { call, makeAccount, makeKey } from "../helpers/identity";
import { seedPerson } from "../helpers/privacy";

let env: TestEnv | undefined;
afterEach(() => env?.close());

const trendRequests = async (deps: TestEnv["deps"]) =>
  (await usageTrends(deps.db, {})).reduce((n, r) => n + r.requests, 0);

describe("§14 objection (Art. 21), §11 non-identifying trends", () => {
  test("an objection to usage trends takes the account out of every trend query at once, over HTTP and on the CLI", async () => {
    env = await makeTestEnv();
    const deps = env.deps;
    const ann = await seedPerson(deps, "ann", { requests: 3 });
    const bob = await seedPerson(deps, "bob", { requests: 2 });
    const admin = await makeAccount(deps, "ops@example.com", "admin");
    const adminKey = (await makeKey(deps, admin.id, { scopes: ["admin"] })).key;
    const app = createApp(deps);
    const trendsOverHttp = async () =>
      (await json(await call(app, "GET", "/admin/usage/trends", { key: adminKey }))).reduce(
        (n: number, r: { requests: number }) => n + r.requests,
        0,
      );
    expect(await trendsOverHttp()).toBe(5);

    const res = await call(app, "POST", "/account/object", { key: ann.key, body: { scope: "usage_trends" } });
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({
      kind: "object",
      scope: "usage_trends",
      channel: "account",
      outcome: "done",
    });
    expect(await trendsOverHttp()).toBe(2);

    const cli = await runKriora(join(env.dir, "data"), [
      "accounts",
      "object",
      bob.email,
      "--scope",
      "usage_trends",
      "--json",
    ]);
    expect([cli.code, JSON.parse(cli.out).outcome]).toEqual([0, "done"]);
    expect(await trendRequests(deps)).toBe(0);
    expect((await call(app, "POST", "/account/object", { key: ann.key, body: { scope: "marketing" } })).status).toBe(
      400,
    );
    expect((await runKriora(join(env.dir, "data"), ["accounts", "object", bob.id])).code).toBe(2);
  });

  test("an objection to abuse detection is recorded for an admin's decision: open until `kriora privacy decide`", async () => {
    env = await makeTestEnv();
    const deps = env.deps;
    const data = join(env.dir, "data");
    const ann = await seedPerson(deps, "ann");
    const open = await json(
      await call(createApp(deps), "POST", "/account/object", { key: ann.key, body: { scope: "abuse_detection" } }),
    );
    expect(open).toMatchObject({ scope: "abuse_detection", completed_at: null, outcome: null, overdue: false });
    expect(await trendRequests(deps)).toBe(2);

    const listed = JSON.parse((await runKriora(data, ["privacy", "requests", "--json"])).out);
    expect(listed.map((r: { id: string }) => r.id)).toEqual([open.id]);
    const decided = await runKriora(data, ["privacy", "decide", open.id, "--outcome", "upheld", "--json"]);
    expect([decided.code, JSON.parse(decided.out).outcome]).toEqual([0, "upheld"]);
    expect((await deps.audit.tail(1))[0]).toMatchObject({ actor: "cli", action: "rights.decide", target: ann.id });
    expect((await runKriora(data, ["privacy", "decide", open.id, "--outcome", "dismissed"])).code).toBe(1);
    expect((await runKriora(data, ["privacy", "decide", open.id, "--outcome", "maybe"])).code).toBe(2);
  });
});
