import { afterEach, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { accounts, billingLedger, stripeEvents } from "../../src/db/schema";
import { createApp } from "../../src/http/app";
import { eraseAccount } from "../../src/privacy/erasure";
import { makeBillingEnv, type BillingEnv } from "../helpers/billing";
import { runKriora } from "../helpers/cli";
import { paidSession, signStripe, stripeEvent } from "../helpers/fakeStripe";
import { json } from "../helpers/http";
import { call, makeAccount, makeKey } from "../helpers/identity";
import { all, one, exec } from "../../src/db/tx";

let env: BillingEnv | undefined;
afterEach(() => env?.close());

async function deliver(e: BillingEnv, session: Record<string, unknown>) {
  const payload = stripeEvent("checkout.session.completed", paidSession(session));
  const res = await createApp(e.deps).handle(
    new Request("http://localhost/webhooks/stripe", {
      method: "POST",
      headers: { "content-type": "application/json", "stripe-signature": await signStripe(payload) },
      body: payload,
    }),
  );
  expect(res.status).toBe(200);
  return { outcome: (await json(res)).outcome as string, eventId: JSON.parse(payload).id as string };
}

const ignoredPurchases = async (e: BillingEnv) =>
  (await e.deps.audit.tail(50))
    .filter((r) => r.action === "billing.purchase_ignored")
    .map((r) => JSON.parse(r.details) as { session: string; reason: string });

const purchases = async (e: BillingEnv) =>
  await all(e.deps.db.select().from(billingLedger).where(eq(billingLedger.kind, "purchase")));

describe("hostile: Stripe purchases must match a checkout Kriora opened", () => {
  test("a signed completion for a session Kriora never created is recorded, audited and credits nothing", async () => {
    env = await makeBillingEnv("prepaid");
    const victim = await makeAccount(env.deps, "buyer@example.com");
    const forged = {
      id: "cs_test_forged",
      object: "checkout.session",
      mode: "payment",
      currency: "usd",
      amount_subtotal: 500_000,
      amount_total: 500_000,
      client_reference_id: victim.id,
      metadata: { account_id: victim.id },
    };
    const first = await deliver(env, forged);
    expect(first.outcome).toBe("ignored");
    expect(await one(env.deps.db.select().from(stripeEvents).where(eq(stripeEvents.id, first.eventId)))).toBeDefined();
    expect(await ignoredPurchases(env)).toEqual([{ session: "cs_test_forged", reason: "unknown_checkout" }]);
    expect(await purchases(env)).toEqual([]);
    expect(await env.deps.billing.balance(victim.id)).toBe(0n);
    // Positive control: a checkout Kriora opened for the same account is credited.
    const row = await env.deps.billing.checkout(victim.id, 5_000_000);
    expect((await deliver(env, env.fake.sessions.get(row.id)!)).outcome).toBe("applied");
    expect(await env.deps.billing.balance(victim.id)).toBe(5_000_000n);
  });

  test("a real session of account A rewritten to name account B credits nobody", async () => {
    env = await makeBillingEnv("prepaid");
    const a = await makeAccount(env.deps, "a@example.com");
    const b = await makeAccount(env.deps, "b@example.com");
    const row = await env.deps.billing.checkout(a.id, 3_000_000);
    const session = { ...env.fake.sessions.get(row.id)!, client_reference_id: b.id, metadata: { account_id: b.id } };
    expect((await deliver(env, session)).outcome).toBe("ignored");
    expect(await ignoredPurchases(env)).toEqual([{ session: row.id, reason: "account_mismatch" }]);
    expect([await env.deps.billing.balance(a.id), await env.deps.billing.balance(b.id)]).toEqual([0n, 0n]);
  });

  test("a real session whose paid amount is not positive US dollars is recorded and audited, not credited", async () => {
    env = await makeBillingEnv("prepaid");
    const acc = await makeAccount(env.deps, "euro@example.com");
    const row = await env.deps.billing.checkout(acc.id, 2_000_000);
    const session = env.fake.sessions.get(row.id)!;
    for (const changed of [
      { ...session, currency: "eur" },
      { ...session, amount_total: 0 },
    ])
      expect((await deliver(env, changed)).outcome).toBe("ignored");
    expect((await ignoredPurchases(env)).map((d) => d.reason)).toEqual(["currency", "amount"]);
    expect(await purchases(env)).toEqual([]);
  });

  test("the credit is amount_total (what was paid after a discount), not amount_subtotal", async () => {
    env = await makeBillingEnv("prepaid");
    const acc = await makeAccount(env.deps, "discount@example.com");
    const row = await env.deps.billing.checkout(acc.id, 10_000_000);
    const discounted = { ...env.fake.sessions.get(row.id)!, amount_subtotal: 1000, amount_total: 250 };
    expect((await deliver(env, discounted)).outcome).toBe("applied");
    expect(await env.deps.billing.balance(acc.id)).toBe(2_500_000n);
  });
});

describe("hostile: an erased account cannot be credited again", () => {
  test("a purchase completing after erasure is recorded and ignored: the checkout now belongs to a tombstone", async () => {
    env = await makeBillingEnv("prepaid");
    const acc = await makeAccount(env.deps, "gone@example.com");
    const row = await env.deps.billing.checkout(acc.id, 4_000_000);
    await eraseAccount(env.deps, acc.id, "request", "test");
    expect((await deliver(env, env.fake.sessions.get(row.id)!)).outcome).toBe("ignored");
    expect((await ignoredPurchases(env)).map((d) => d.reason)).toEqual(["account_mismatch"]);
    expect(await purchases(env)).toEqual([]);
  });

  test("a purchase for an account erased while its event was in flight is ignored (account_erased)", async () => {
    env = await makeBillingEnv("prepaid");
    const acc = await makeAccount(env.deps, "inflight@example.com");
    const row = await env.deps.billing.checkout(acc.id, 4_000_000);
    await exec(env.deps.db.update(accounts).set({ status: "erased" }).where(eq(accounts.id, acc.id)));
    expect((await deliver(env, env.fake.sessions.get(row.id)!)).outcome).toBe("ignored");
    expect((await ignoredPurchases(env)).map((d) => d.reason)).toEqual(["account_erased"]);
    expect(await purchases(env)).toEqual([]);
  });

  test("admin credits to an erased account or its tombstone are 409; the CLI refuses too", async () => {
    env = await makeBillingEnv("prepaid");
    const app = createApp(env.deps);
    const admin = await makeAccount(env.deps, "boss@example.com", "admin");
    const adminKey = (await makeKey(env.deps, admin.id, { scopes: ["admin", "account"] })).key;
    const acc = await makeAccount(env.deps, "erased@example.com");
    const live = await call(app, "POST", `/admin/accounts/${acc.id}/credits`, {
      key: adminKey,
      body: { amount_usd: "1", reason: "goodwill" },
    });
    expect(live.status).toBe(201);
    await eraseAccount(env.deps, acc.id, "request", "test");
    const tombstone = (await one(env.deps.db.select().from(billingLedger)))!.accountId;
    expect(tombstone).toStartWith("tmb_");
    for (const target of [acc.id, tombstone]) {
      const res = await call(app, "POST", `/admin/accounts/${target}/credits`, {
        key: adminKey,
        body: { amount_usd: "1", reason: "goodwill" },
      });
      expect([target, res.status, (await json(res)).error.code]).toEqual([target, 409, "conflict"]);
    }
    env.deps.handle.close();
    const cli = await runKriora(`${env.dir}/data`, [
      "credits",
      "grant",
      "--account",
      acc.id,
      "--amount",
      "1",
      "--reason",
      "goodwill",
    ]);
    expect(cli.code).toBe(1);
    expect(cli.err).toContain("erased");
    await env.restart();
    expect(await all(env.deps.db.select().from(billingLedger))).toHaveLength(1);
  });
});
