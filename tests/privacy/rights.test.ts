import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { createApp } from "../../src/http/app";
import { DAY_MS } from "../../src/lib/clock";
import { objectToProcessing } from "../../src/privacy/objection";
import { listRequests } from "../../src/privacy/rights";
import { runKriora } from "../helpers/cli";
import { steppingClock } from "../helpers/mailEnv";
import { makeTestEnv, type TestEnv } from "../helpers/deps";
import { json } from "../helpers/http";
import { call, makeAccount, makeKey } from "../helpers/identity";

let env: TestEnv | undefined;
afterEach(() => env?.close());

const clock = steppingClock();

describe("§14 rights ledger (Art. 12(3)): every request with received, due and completed dates", () => {
  test("due one calendar month after receipt: 31 Jan → 28 Feb (29 in a leap year), 31 Mar → 30 Apr, 15 Dec → 15 Jan", async () => {
    env = await makeTestEnv("", { clock });
    const account = await makeAccount(env.deps, "ann@example.com");
    const cases: [string, string][] = [
      ["2027-01-31T10:00:00.000Z", "2027-02-28T10:00:00.000Z"],
      ["2027-03-31T23:30:00.000Z", "2027-04-30T23:30:00.000Z"],
      ["2027-12-15T00:00:00.000Z", "2028-01-15T00:00:00.000Z"],
      ["2028-01-31T10:00:00.000Z", "2028-02-29T10:00:00.000Z"],
    ];
    for (const [received] of cases) {
      clock.t = Date.parse(received);
      await objectToProcessing(env.deps, account.id, "abuse_detection", `account:${account.id}`);
    }
    expect((await listRequests(env.deps)).map((r) => [r.received_at, r.due_at])).toEqual(cases);
  });

  test("`privacy requests --overdue` lists only open requests past their due date; the account sees its own requests", async () => {
    const now = Date.now();
    env = await makeTestEnv("", { clock });
    const deps = env.deps;
    const ann = await makeAccount(deps, "ann@example.com");
    const bob = await makeAccount(deps, "bob@example.com");
    clock.t = now - 40 * DAY_MS;
    const late = await objectToProcessing(deps, ann.id, "abuse_detection", `account:${ann.id}`);
    await objectToProcessing(deps, ann.id, "usage_trends", `account:${ann.id}`);
    clock.t = now - 10 * DAY_MS;
    const recent = await objectToProcessing(deps, bob.id, "abuse_detection", "cli");
    clock.t = now;

    const data = join(env.dir, "data");
    const overdue = await runKriora(data, ["privacy", "requests", "--overdue", "--json"]);
    expect(JSON.parse(overdue.out).map((r: { id: string; overdue: boolean }) => [r.id, r.overdue])).toEqual([
      [late.id, true],
    ]);
    const all = JSON.parse((await runKriora(data, ["privacy", "requests", "--json"])).out);
    expect(all.map((r: { id: string }) => r.id)).toContain(recent.id);
    expect(all).toHaveLength(3);
    const human = await runKriora(data, ["privacy", "requests", "--overdue"]);
    expect(human.out).toContain("OVERDUE");
    expect(human.out).not.toContain(recent.id);

    const mine = await json(
      await call(createApp(deps), "GET", "/account/requests", { key: (await makeKey(deps, ann.id)).key }),
    );
    expect(mine.map((r: { account_id: string }) => r.account_id)).toEqual([ann.id, ann.id]);
    const admin = await makeAccount(deps, "ops@example.com", "admin");
    const adminKey = (await makeKey(deps, admin.id, { scopes: ["admin"] })).key;
    const viaAdmin = await json(
      await call(createApp(deps), "GET", "/admin/privacy/requests?overdue=true", { key: adminKey }),
    );
    expect(viaAdmin.map((r: { id: string }) => r.id)).toEqual([late.id]);
    // Without the filter the admin sees the whole ledger (the query's enum once defaulted to "true").
    const whole = await json(await call(createApp(deps), "GET", "/admin/privacy/requests", { key: adminKey }));
    expect(whole).toHaveLength(3);
  });
});
