import { afterEach, describe, expect, test } from "bun:test";
import { billingLedger, stripeEvents } from "../../src/db/schema";
import { createApp } from "../../src/http/app";
import { makeBillingEnv, type BillingEnv } from "../helpers/billing";
import { json } from "../helpers/http";
import { paidSession, refundedCharge, signStripe, stripeEvent } from "../helpers/fakeStripe";
import { all } from "../../src/db/tx";

let env: BillingEnv | undefined;
afterEach(() => env?.close());

function deliver(e: BillingEnv, payload: string, signature: string | null) {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (signature !== null) headers["stripe-signature"] = signature;
  return createApp(e.deps).handle(
    new Request("http://localhost/webhooks/stripe", { method: "POST", headers, body: payload }),
  );
}

/** A real Checkout Session at the fake, and its signed `checkout.session.completed`. */
async function completedCheckout(e: BillingEnv, accountId: string, micros: number) {
  const row = await e.deps.billing.checkout(accountId, micros);
  const payload = stripeEvent("checkout.session.completed", paidSession(e.fake.sessions.get(row.id)!));
  return { row, payload };
}

describe("§5 payments, §10 processors: Stripe webhooks", () => {
  test("a signed checkout.session.completed credits once, delivered twice and again after a restart", async () => {
    env = await makeBillingEnv("prepaid");
    const { row, payload } = await completedCheckout(env, "acc_buyer", 25_000_000);
    const first = await deliver(env, payload, await signStripe(payload));
    expect(first.status).toBe(200);
    expect(await json(first)).toEqual({ received: true, outcome: "applied" });
    expect((await deliver(env, payload, await signStripe(payload))).status).toBe(200);
    expect(await env.deps.billing.balance("acc_buyer")).toBe(25_000_000n);

    await env.restart();
    const again = await deliver(env, payload, await signStripe(payload));
    expect(await json(again)).toEqual({ received: true, outcome: "duplicate" });
    expect(await env.deps.billing.balance("acc_buyer")).toBe(25_000_000n);
    const rows = await all(env.deps.db.select().from(billingLedger));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ accountId: "acc_buyer", kind: "purchase", amountMicros: 25_000_000, ref: row.id });
    expect((await env.deps.billing.summary("acc_buyer")).checkouts[0]).toMatchObject({
      id: row.id,
      status: "complete",
      url: null,
    });
  });

  test("a second event for the same session (async_payment_succeeded after completed) does not credit twice", async () => {
    env = await makeBillingEnv("prepaid");
    const { row, payload } = await completedCheckout(env, "acc_buyer", 5_000_000);
    const late = stripeEvent("checkout.session.async_payment_succeeded", paidSession(env.fake.sessions.get(row.id)!));
    await deliver(env, late, await signStripe(late));
    await deliver(env, payload, await signStripe(payload));
    expect(await env.deps.billing.balance("acc_buyer")).toBe(5_000_000n);
    expect(await all(env.deps.db.select().from(stripeEvents))).toHaveLength(2);
  });

  test("bad signature, stale timestamp, mutated body and no signature → 400 with no effect", async () => {
    env = await makeBillingEnv("prepaid");
    const { payload } = await completedCheckout(env, "acc_buyer", 10_000_000);
    const wrongSecret = await signStripe(payload, { secret: "whsec_someone_else" });
    const stale = await signStripe(payload, { timestamp: Math.floor(Date.now() / 1000) - 301 });
    const mutated = payload.replace('"amount_subtotal":1000', '"amount_subtotal":9000');
    expect(mutated).not.toBe(payload);
    const cases: [string, string | null][] = [
      [payload, wrongSecret],
      [payload, stale],
      [mutated, await signStripe(payload)],
      [payload, null],
      [payload, "t=1,v1=deadbeef"],
    ];
    for (const [body, signature] of cases) {
      const res = await deliver(env, body, signature);
      expect(res.status).toBe(400);
      const text = await res.text();
      expect(text).not.toContain("acc_buyer");
      expect(JSON.parse(text).error.code).toBe("invalid_request");
    }
    expect(await all(env.deps.db.select().from(billingLedger))).toEqual([]);
    expect(await all(env.deps.db.select().from(stripeEvents))).toEqual([]);
    // Positive control: the same payload, correctly signed, does credit.
    expect((await deliver(env, payload, await signStripe(payload))).status).toBe(200);
    expect(await env.deps.billing.balance("acc_buyer")).toBe(10_000_000n);
  });

  test("unknown events and sessions that are not Kriora's are acknowledged and ignored", async () => {
    env = await makeBillingEnv("prepaid");
    const unknown = stripeEvent("customer.subscription.created", { id: "sub_1", object: "subscription" });
    const foreign = stripeEvent(
      "checkout.session.completed",
      paidSession({
        id: "cs_other",
        object: "checkout.session",
        mode: "payment",
        currency: "usd",
        amount_subtotal: 500,
        metadata: {},
      }),
    );
    for (const payload of [unknown, foreign]) {
      const res = await deliver(env, payload, await signStripe(payload));
      expect(res.status).toBe(200);
      expect((await json(res)).outcome).toBe("ignored");
    }
    expect(await all(env.deps.db.select().from(billingLedger))).toEqual([]);
  });

  test("§8 billing records: partial refunds out of order debit exactly the refunded total", async () => {
    env = await makeBillingEnv("prepaid");
    const { payload } = await completedCheckout(env, "acc_buyer", 20_000_000);
    await deliver(env, payload, await signStripe(payload));
    const second = stripeEvent("charge.refunded", refundedCharge("acc_buyer", 2000, 1500, "ch_1"));
    const first = stripeEvent("charge.refunded", refundedCharge("acc_buyer", 2000, 500, "ch_1"));
    for (const p of [second, first, second]) expect((await deliver(env, p, await signStripe(p))).status).toBe(200);
    expect(await env.deps.billing.balance("acc_buyer")).toBe(5_000_000n);
    const full = stripeEvent("charge.refunded", refundedCharge("acc_buyer", 2000, 2000, "ch_1"));
    await deliver(env, full, await signStripe(full));
    expect(await env.deps.billing.balance("acc_buyer")).toBe(0n);
    expect((await all(env.deps.db.select().from(billingLedger))).map((r) => [r.kind, r.amountMicros])).toEqual([
      ["purchase", 20_000_000],
      ["refund", -15_000_000],
      ["refund", -5_000_000],
    ]);
  });

  test("an expired session keeps no link; a session completed later is still credited", async () => {
    env = await makeBillingEnv("prepaid");
    const { row, payload } = await completedCheckout(env, "acc_buyer", 3_000_000);
    const expired = stripeEvent("checkout.session.expired", { ...env.fake.sessions.get(row.id)!, status: "expired" });
    await deliver(env, payload, await signStripe(payload));
    await deliver(env, expired, await signStripe(expired));
    expect((await env.deps.billing.summary("acc_buyer")).checkouts[0]!.status).toBe("complete");
    const other = await env.deps.billing.checkout("acc_buyer", 4_000_000);
    const gone = stripeEvent("checkout.session.expired", { ...env.fake.sessions.get(other.id)!, status: "expired" });
    await deliver(env, gone, await signStripe(gone));
    expect((await env.deps.billing.summary("acc_buyer")).checkouts.find((c) => c.id === other.id)).toMatchObject({
      status: "expired",
      url: null,
    });
    expect(await env.deps.billing.balance("acc_buyer")).toBe(3_000_000n);
  });
});
