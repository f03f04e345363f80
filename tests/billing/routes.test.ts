import { describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { accounts } from "../../src/db/schema";
import { billingPerTest } from "../helpers/billing";
import { json } from "../helpers/http";
import { call } from "../helpers/identity";
import { exec } from "../../src/db/tx";

const setup = billingPerTest();

describe("§5 payments: /account/billing", () => {
  test("§10 processors: checkout returns Stripe's link; the customer gets the account id and no email", async () => {
    const { env, app, user, userKey } = await setup();
    const res = await call(app, "POST", "/account/billing/checkout", { key: userKey, body: { amount_usd: 19.99 } });
    expect(res.status).toBe(201);
    const body = await json(res);
    expect(body).toMatchObject({ amount_usd: "19.99" });
    expect(body.url).toStartWith("https://checkout.stripe.com/");
    const session = env.fake.sessions.get(body.id)!;
    expect(session).toMatchObject({
      client_reference_id: user.id,
      metadata: { account_id: user.id },
      amount_subtotal: 1999,
      currency: "usd",
    });
    // Stripe sends the payer back to the console's billing page, under server.public_url.
    expect([session.success_url, session.cancel_url]).toEqual([
      "https://gw.example.test/#/billing?checkout=complete",
      "https://gw.example.test/#/billing?checkout=cancelled",
    ]);
    const [customer] = [...env.fake.customers.values()];
    expect(customer).toMatchObject({ email: null, name: null, metadata: { account_id: user.id } });
    expect(JSON.stringify(env.fake.requests)).not.toContain("payer@example.com");
    // A second top-up reuses the customer.
    await call(app, "POST", "/account/billing/checkout", { key: userKey, body: { amount_usd: "5" } });
    expect(env.fake.customers.size).toBe(1);

    const view = await json(await call(app, "GET", "/account/billing", { key: userKey }));
    expect(view).toMatchObject({
      mode: "prepaid",
      balance_micros: 0,
      balance_usd: "0.00",
      ledger: [],
      meter: null,
      invoices: null,
    });
    expect(
      view.checkouts.map((c: { status: string; url: string }) => [
        c.status,
        c.url.startsWith("https://checkout.stripe.com/"),
      ]),
    ).toEqual([
      ["open", true],
      ["open", true],
    ]);
  });

  test("amounts outside 1–10000 USD or with more than two decimals are refused before Stripe is called", async () => {
    const { env, app, userKey } = await setup();
    for (const amount_usd of [0.5, 20.001, "abc", "1e3", 10_000.01, -5]) {
      const res = await call(app, "POST", "/account/billing/checkout", { key: userKey, body: { amount_usd } });
      expect([amount_usd, res.status]).toEqual([amount_usd, 400]);
      expect((await json(res)).error.param).toBe("amount_usd");
    }
    expect(env.fake.requests).toEqual([]);
  });

  test("a Stripe outage is a 502 whose body and logs carry no Stripe message", async () => {
    const { env, app, userKey } = await setup();
    env.fake.failNext("/v1/customers", 5, 500);
    const res = await call(app, "POST", "/account/billing/checkout", { key: userKey, body: { amount_usd: 10 } });
    expect(res.status).toBe(502);
    expect(await res.text()).not.toContain("fake stripe");
    expect(env.log.text()).toContain("stripe_checkout_failed");
    expect(env.log.text()).not.toContain("fake stripe");
  });

  test("Art. 18: a restricted account can read its billing but cannot start a purchase", async () => {
    const { env, app, user, userKey } = await setup();
    await exec(env.deps.db.update(accounts).set({ status: "restricted" }).where(eq(accounts.id, user.id)));
    await env.deps.authView.refreshAccount(user.id);
    expect((await call(app, "GET", "/account/billing", { key: userKey })).status).toBe(200);
    expect(
      (await call(app, "POST", "/account/billing/checkout", { key: userKey, body: { amount_usd: 10 } })).status,
    ).toBe(403);
    expect(env.fake.requests).toEqual([]);
  });

  test("without credentials 401; with billing off the checkout is 404 and the view says off", async () => {
    const { app, userKey } = await setup("off");
    expect((await call(app, "GET", "/account/billing")).status).toBe(401);
    expect((await call(app, "POST", "/account/billing/checkout", { body: { amount_usd: 10 } })).status).toBe(401);
    expect(
      (await call(app, "POST", "/account/billing/checkout", { key: userKey, body: { amount_usd: 10 } })).status,
    ).toBe(404);
    expect(await json(await call(app, "GET", "/account/billing", { key: userKey }))).toMatchObject({
      mode: "off",
      balance_usd: "0.00",
    });
  });
});

describe("§9 access controls: admin billing", () => {
  test("admins read any account's billing (audited) and grant credits; users get 403", async () => {
    const { env, app, user, userKey, adminKey } = await setup();
    expect((await call(app, "GET", `/admin/accounts/${user.id}/billing`, { key: userKey })).status).toBe(403);
    expect(
      (
        await call(app, "POST", `/admin/accounts/${user.id}/credits`, {
          key: userKey,
          body: { amount_usd: "5", reason: "x" },
        })
      ).status,
    ).toBe(403);

    const granted = await call(app, "POST", `/admin/accounts/${user.id}/credits`, {
      key: adminKey,
      body: { amount_usd: "2.5", reason: "support goodwill" },
    });
    expect(granted.status).toBe(201);
    expect(await json(granted)).toMatchObject({
      kind: "grant",
      amount_micros: 2_500_000,
      amount_usd: "2.50",
      reason: "support goodwill",
    });
    const adjusted = await call(app, "POST", `/admin/accounts/${user.id}/credits`, {
      key: adminKey,
      body: { kind: "adjustment", amount_usd: "-0.5", reason: "correction" },
    });
    expect(adjusted.status).toBe(201);
    const view = await json(await call(app, "GET", `/admin/accounts/${user.id}/billing`, { key: adminKey }));
    expect(view).toMatchObject({ balance_micros: 2_000_000, balance_usd: "2.00" });
    expect(view.ledger.map((r: { kind: string }) => r.kind)).toEqual(["adjustment", "grant"]);
    const actions = (await env.deps.audit.tail(10)).map((r) => [r.action, r.target]);
    expect(actions).toContainEqual(["billing.grant", user.id]);
    expect(actions).toContainEqual(["billing.adjustment", user.id]);
    expect(actions).toContainEqual(["billing.read", user.id]);
    expect((await call(app, "GET", "/admin/accounts/acc_nobody/billing", { key: adminKey })).status).toBe(404);
  });

  test("§8 billing records: a reason with an email address is refused (it would outlive the person)", async () => {
    const { app, user, adminKey } = await setup();
    const res = await call(app, "POST", `/admin/accounts/${user.id}/credits`, {
      key: adminKey,
      body: { amount_usd: "1", reason: "refund for pat@example.com" },
    });
    expect(res.status).toBe(400);
    expect((await json(res)).error.param).toBe("reason");
  });
});
