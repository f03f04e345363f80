import { afterEach, describe, expect, test } from "bun:test";
import { meterOutbox } from "../../src/db/schema";
import { METER_EVENT_NAME } from "../../src/billing/meter";
import { createRequestControls } from "../../src/requestControls";
import { makeBillingEnv, type BillingEnv } from "../helpers/billing";
import { usageEvent } from "../helpers/usage";
import { all } from "../../src/db/tx";

let env: BillingEnv | undefined;
afterEach(() => env?.close());

const outbox = async (e: BillingEnv) => await all(e.deps.db.select().from(meterOutbox));

async function recordRequests(e: BillingEnv, n: number, accountOf: (i: number) => string = () => "acc_metered") {
  const controls = await createRequestControls({ ...e.deps });
  const events = Array.from({ length: n }, (_, i) => usageEvent(i, { accountId: accountOf(i) }));
  for (const ev of events) controls.usageWriter.record(ev);
  await controls.usageWriter.flush();
  return events;
}

describe("§5 payments, §10 processors: metered usage to Stripe Billing Meters", () => {
  test("every billable request yields exactly one meter event, identified by its request id, valued at its cost", async () => {
    env = await makeBillingEnv("metered");
    const events = await recordRequests(env, 30, (i) => `acc_${i % 3}`);
    const free = await createRequestControls({ ...env.deps });
    free.usageWriter.record(
      usageEvent(99, { accountId: "acc_0", inputTokens: 0, outputTokens: 0, status: 402, outcome: "refused" }),
    );
    await free.usageWriter.flush();
    expect(await outbox(env)).toHaveLength(30);

    expect(await env.deps.billing.drainMeter()).toBe(30);
    expect(await outbox(env)).toEqual([]);
    expect(env.fake.meterCalls).toBe(30);
    expect([...env.fake.meterEvents.keys()].sort()).toEqual(events.map((e) => e.requestId).sort());
    const first = env.fake.meterEvents.get(events[0]!.requestId)!;
    expect(first).toMatchObject({
      event_name: METER_EVENT_NAME,
      payload: { value: String(100 * 1 + 10 * 2) },
      timestamp: Math.floor(events[0]!.at / 1000),
    });
    // One customer per account, created once, carrying only the account id.
    expect([...env.fake.customers.values()].map((c) => c.metadata.account_id).sort()).toEqual([
      "acc_0",
      "acc_1",
      "acc_2",
    ]);
    expect(
      env.fake.requests
        .filter((r) => r.path === "/v1/billing/meter_events")
        .every((r) => r.idempotencyKey === `kriora-meter-${r.form.identifier}`),
    ).toBe(true);
  });

  test("a reply lost after Stripe accepted: the resend carries the same identifier and Stripe counts one", async () => {
    env = await makeBillingEnv("metered");
    await recordRequests(env, 1);
    env.fake.loseMeterReplies = 1;
    expect(await env.deps.billing.drainMeter()).toBe(1);
    expect(env.fake.meterCalls).toBe(2);
    expect(env.fake.meterEvents.size).toBe(1);
    expect(await outbox(env)).toEqual([]);
  });

  test("a crash between Stripe's acceptance and the outbox update: after restart the event is resent with its identifier, counted once", async () => {
    env = await makeBillingEnv("metered");
    env.fake.holdMeterReplies = true;
    const child = Bun.spawn(
      [
        process.execPath,
        `${import.meta.dir}/fixtures/meter-child.ts`,
        `${env.dir}/data`,
        `${env.dir}/kriora.toml`,
        String(env.fake.endpoint.port),
        "5",
      ],
      { stdout: "pipe", stderr: "inherit", env: { PATH: process.env.PATH ?? "", NODE_ENV: "test" } },
    );
    const deadline = Date.now() + 15_000;
    while (env.fake.meterEvents.size === 0 && Date.now() < deadline) await Bun.sleep(10);
    child.kill("SIGKILL");
    await child.exited;
    expect(env.fake.meterEvents.size).toBe(1);
    const [sentBeforeCrash] = env.fake.meterEvents.keys();

    env.fake.holdMeterReplies = false;
    const deps = await env.restart();
    expect(await outbox(env)).toHaveLength(5);
    expect(await deps.billing.drainMeter()).toBe(5);
    expect(env.fake.meterEvents.size).toBe(5);
    expect(env.fake.requests.filter((r) => r.form.identifier === sentBeforeCrash)).toHaveLength(2);
    expect(env.fake.meterCalls).toBe(6);
    expect(await outbox(env)).toEqual([]);
  });

  test("Stripe refusing an event backs it off and keeps it (logged by type and code, never the message); it is sent once Stripe accepts", async () => {
    let now = Date.UTC(2026, 10, 27, 12);
    env = await makeBillingEnv("metered", { clock: { now: () => now } });
    await recordRequests(env, 1);
    env.fake.failNext("/v1/billing/meter_events", 1, 400, "meter_not_found");
    expect(await env.deps.billing.drainMeter()).toBe(0);
    expect((await outbox(env))[0]).toMatchObject({ attempts: 1, failedCode: null, nextAttemptAt: now + 1000 });
    expect(await env.deps.billing.drainMeter()).toBe(0);
    expect(env.log.text()).toContain('"code":"meter_not_found"');
    expect(env.log.text()).not.toContain("fake stripe");
    now += 1000;
    expect(await env.deps.billing.drainMeter()).toBe(1);
    expect(env.fake.meterEvents.size).toBe(1);
  });

  test("the account's Stripe invoices are listed in its billing view; an unreachable Stripe shows none, not an error", async () => {
    env = await makeBillingEnv("metered");
    await recordRequests(env, 2);
    await env.deps.billing.drainMeter();
    env.fake.invoices = [
      {
        id: "in_1",
        object: "invoice",
        status: "open",
        currency: "usd",
        amount_due: 1234,
        period_start: 1_790_000_000,
        period_end: 1_792_592_000,
        hosted_invoice_url: "https://invoice.stripe.com/i/in_1",
      },
    ];
    const summary = await env.deps.billing.summary("acc_metered");
    expect(summary.meter).toEqual({ pending: 0, parked: 0 });
    expect(summary.invoices).toEqual([
      {
        id: "in_1",
        status: "open",
        currency: "usd",
        amount_due_usd: "12.34",
        period_start: "2026-09-21T14:13:20.000Z",
        period_end: "2026-10-21T14:13:20.000Z",
        url: "https://invoice.stripe.com/i/in_1",
      },
    ]);
    env.fake.failNext("/v1/invoices", 3, 503);
    expect((await env.deps.billing.summary("acc_metered")).invoices).toBeNull();
    expect(env.log.text()).toContain("stripe_invoices_unavailable");
  });

  test("the background sender sends on its own and stops cleanly with nothing in flight", async () => {
    env = await makeBillingEnv("metered");
    env.deps.billing.start(() => true);
    await recordRequests(env, 3);
    const deadline = Date.now() + 5_000;
    while ((await outbox(env)).length > 0 && Date.now() < deadline) await Bun.sleep(20);
    await env.deps.billing.stop();
    expect(env.fake.meterEvents.size).toBe(3);
    await recordRequests(env, 1);
    await Bun.sleep(1_200);
    expect(await outbox(env)).toHaveLength(1);
  });

  test("an instance that does not hold the jobs lock leaves the outbox to the one that does", async () => {
    env = await makeBillingEnv("metered");
    let leads = false;
    env.deps.billing.start(() => leads);
    await recordRequests(env, 2);
    await Bun.sleep(1_200); // a pass is due every second
    expect(env.fake.meterEvents.size).toBe(0);
    leads = true;
    const deadline = Date.now() + 5_000;
    while ((await outbox(env)).length > 0 && Date.now() < deadline) await Bun.sleep(20);
    await env.deps.billing.stop();
    expect(env.fake.meterEvents.size).toBe(2);
  });
});
