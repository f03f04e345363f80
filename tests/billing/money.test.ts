import { describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { billingLedger, rightsRequests, usageEvents } from "../../src/db/schema";
import { carryForward, ledgerBalance } from "../../src/billing/ledger";
import { exportAccount } from "../../src/privacy/export";
import { newId } from "../../src/lib/ids";
import { billingPerTest, type BillingEnv } from "../helpers/billing";
import { runKriora } from "../helpers/cli";
import { json } from "../helpers/http";
import { call, makeAccount } from "../helpers/identity";
import { seedPerson } from "../helpers/privacy";
import { exec, all } from "../../src/db/tx";

const setup = billingPerTest();

/** Ledger rows, each a safe integer, whose sum is 12 000 000 000 000 001 micro-dollars: past 2^53. */
async function hugeBalance(e: BillingEnv, accountId: string) {
  for (const amountMicros of [4e15, 4e15, 4e15, 1])
    await exec(
      e.deps.db
        .insert(billingLedger)
        .values({ id: newId("led"), accountId, at: e.deps.clock.now(), kind: "grant", amountMicros, reason: "test" }),
    );
}

const HUGE = { micros: "12000000000000001", usd: "12000000000.000001" };

describe("§5 billing records: money stays exact past 2^53 micro-dollars", () => {
  test("a balance above 2^53: /account/billing, the admin view, the export and `credits show` give it exactly, no 500", async () => {
    const { env, app, user, userKey, adminKey } = await setup();
    await hugeBalance(env, user.id);
    for (const [path, key] of [
      ["/account/billing", userKey],
      [`/admin/accounts/${user.id}/billing`, adminKey],
    ] as const) {
      const res = await call(app, "GET", path, { key });
      expect([path, res.status]).toEqual([path, 200]);
      expect(await json(res)).toMatchObject({ balance_micros: HUGE.micros, balance_usd: HUGE.usd });
    }
    expect((await exportAccount(env.deps, user.id, "test")).billing).toMatchObject({
      balance_micros: HUGE.micros,
      balance_usd: HUGE.usd,
    });
    expect(await env.deps.billing.balance(user.id)).toBe(12_000_000_000_000_001n);
    env.deps.handle.close();
    const show = await runKriora(`${env.dir}/data`, ["credits", "show", "--account", user.id, "--json"]);
    expect([show.code, show.err]).toEqual([0, ""]);
    expect(JSON.parse(show.out)).toMatchObject({ balance_micros: HUGE.micros, balance_usd: HUGE.usd });
    await env.restart();
  });

  test("retention's carry-forward leaves rows alone whose sum one row could not hold exactly; the balance is unchanged", async () => {
    const { env, user } = await setup();
    await hugeBalance(env, user.id);
    const other = await makeAccount(env.deps, "plain@example.com");
    await env.deps.billing.changeCredits(
      { accountId: other.id, kind: "grant", amountMicros: 3, reason: "test" },
      "test",
    );
    await env.deps.billing.changeCredits(
      { accountId: other.id, kind: "grant", amountMicros: 4, reason: "test" },
      "test",
    );
    const later = env.deps.clock.now() + 1;
    expect(await carryForward(env.deps.db, user.id, later)).toBe(0);
    expect(await ledgerBalance(env.deps.db, user.id)).toBe(12_000_000_000_000_001n);
    expect(
      await all(env.deps.db.select().from(billingLedger).where(eq(billingLedger.accountId, user.id))),
    ).toHaveLength(4);
    // Positive control: an ordinary account's old rows collapse into one adjustment of their sum.
    expect(await carryForward(env.deps.db, other.id, later)).toBe(2);
    expect(
      (await all(env.deps.db.select().from(billingLedger).where(eq(billingLedger.accountId, other.id)))).map(
        (r) => r.amountMicros,
      ),
    ).toEqual([7]);
  });

  test("an ordinary balance is still a JSON number (positive control for the text form)", async () => {
    const { app, user, userKey, adminKey } = await setup();
    expect(
      (
        await call(app, "POST", `/admin/accounts/${user.id}/credits`, {
          key: adminKey,
          body: { amount_usd: "2.5", reason: "goodwill" },
        })
      ).status,
    ).toBe(201);
    expect(await json(await call(app, "GET", "/account/billing", { key: userKey }))).toMatchObject({
      balance_micros: 2_500_000,
      balance_usd: "2.50",
    });
  });

  test("admin grants and adjustments are capped at 1,000,000 USD either way: a clear 400 over it, on the API and the CLI", async () => {
    const { env, app, user, adminKey } = await setup();
    const grant = (amount_usd: string, kind = "grant") =>
      call(app, "POST", `/admin/accounts/${user.id}/credits`, {
        key: adminKey,
        body: { kind, amount_usd, reason: "typo test" },
      });
    for (const [amount, kind] of [
      ["1000000.000001", "grant"],
      ["999999999", "grant"],
      ["-1000000.01", "adjustment"],
    ] as const) {
      const res = await grant(amount, kind);
      expect([amount, res.status]).toEqual([amount, 400]);
      const body = await json(res);
      expect(body.error).toMatchObject({ code: "invalid_request", param: "amount" });
      expect(body.error.message).toContain("1000000.00 USD");
    }
    expect((await grant("1000000")).status).toBe(201);
    env.deps.handle.close();
    const cli = await runKriora(`${env.dir}/data`, [
      "credits",
      "grant",
      "--account",
      user.id,
      "--amount",
      "5000000",
      "--reason",
      "typo",
    ]);
    expect(cli.code).toBe(1);
    await env.restart();
    expect((await all(env.deps.db.select().from(billingLedger))).map((r) => r.amountMicros)).toEqual([
      1_000_000_000_000,
    ]);
  });
});

describe("§14 access: an export that cannot be produced is recorded as failed, not done", () => {
  test("a usage row whose address no longer decrypts: the export throws and its access request is marked failed", async () => {
    const { env } = await setup();
    const ann = await seedPerson(env.deps, "ann");
    const outcomes = async () =>
      (await all(env.deps.db.select().from(rightsRequests).where(eq(rightsRequests.accountId, ann.id)))).map(
        (r) => r.outcome,
      );
    // Positive control: a sound export is done.
    await exportAccount(env.deps, ann.id, "test");
    expect(await outcomes()).toEqual(["done"]);
    await exec(env.deps.db.update(usageEvents).set({ ipEnc: "v1:garbage" }).where(eq(usageEvents.accountId, ann.id)));
    await expect(exportAccount(env.deps, ann.id, "test")).rejects.toThrow();
    expect(await outcomes()).toEqual(["done", "failed"]);
  });
});
