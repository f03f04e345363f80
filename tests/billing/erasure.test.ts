import { afterEach, describe, expect, test } from "bun:test";
import { loadConfig } from "../../src/config/load";
import { billingCustomers, billingLedger, meterOutbox } from "../../src/db/schema";
import { openDeps } from "../../src/deps";
import { createRequestControls } from "../../src/requestControls";
import { makeBillingEnv, type BillingEnv } from "../helpers/billing";
import { usageEvent } from "../helpers/usage";
import { all } from "../../src/db/tx";

let env: BillingEnv | undefined;
afterEach(() => env?.close());

describe("§8 deletion, §14 erasure: the billing side", () => {
  test("deleteCustomer deletes the Stripe customer and the link to it; the ledger stays (legal hold)", async () => {
    env = await makeBillingEnv("prepaid");
    await env.deps.billing.checkout("acc_gone", 10_000_000);
    await env.deps.billing.changeCredits(
      { accountId: "acc_gone", kind: "grant", amountMicros: 3, reason: "goodwill" },
      "test",
    );
    const [customerId] = env.fake.customers.keys();
    expect(await env.deps.billing.deleteCustomer("acc_gone")).toBe(true);
    expect(env.fake.customers.has(customerId!)).toBe(false);
    expect(await all(env.deps.db.select().from(billingCustomers))).toEqual([]);
    expect(await all(env.deps.db.select().from(billingLedger))).toHaveLength(1);
    expect(await env.deps.billing.deleteCustomer("acc_gone")).toBe(false);
  });

  test("metered: pending meter events of the erased account are dropped with its customer, and the link is not recreated", async () => {
    env = await makeBillingEnv("metered");
    const controls = await createRequestControls({ ...env.deps });
    controls.usageWriter.record(usageEvent(1, { accountId: "acc_gone" }));
    await controls.usageWriter.flush();
    await env.deps.billing.drainMeter();
    controls.usageWriter.record(usageEvent(2, { accountId: "acc_gone" }));
    await controls.usageWriter.flush();
    expect(await env.deps.billing.deleteCustomer("acc_gone")).toBe(true);
    expect(await all(env.deps.db.select().from(meterOutbox))).toEqual([]);
    expect(await env.deps.billing.drainMeter()).toBe(0);
    expect(await all(env.deps.db.select().from(billingCustomers))).toEqual([]);
  });

  test("a customer Stripe already forgot counts as deleted; a Stripe outage throws and keeps the link for a retry", async () => {
    env = await makeBillingEnv("prepaid");
    await env.deps.billing.checkout("acc_a", 10_000_000);
    await env.deps.billing.checkout("acc_b", 10_000_000);
    const [first] = env.fake.customers.keys();
    env.fake.customers.delete(first!);
    expect(await env.deps.billing.deleteCustomer("acc_a")).toBe(true);
    env.fake.failNext([...env.fake.customers.keys()].map((id) => `/v1/customers/${id}`)[0]!, 3, 503);
    await expect(env.deps.billing.deleteCustomer("acc_b")).rejects.toThrow();
    expect((await all(env.deps.db.select().from(billingCustomers))).map((c) => c.accountId)).toEqual(["acc_b"]);
    expect(await env.deps.billing.deleteCustomer("acc_b")).toBe(true);
  });

  test("with the Stripe secret gone, a customer that exists cannot be silently skipped", async () => {
    env = await makeBillingEnv("prepaid");
    await env.deps.billing.checkout("acc_a", 10_000_000);
    env.deps.handle.close();
    env.deps = await openDeps(loadConfig({ file: `${env.dir}/kriora.toml`, dataDir: `${env.dir}/data`, env: {} }), {
      env: {},
      log: env.log,
    });
    expect(env.deps.billing.mode).toBe("off");
    await expect(env.deps.billing.deleteCustomer("acc_a")).rejects.toThrow("cannot be deleted");
    expect(await env.deps.billing.deleteCustomer("acc_never_billed")).toBe(false);
  });
});
