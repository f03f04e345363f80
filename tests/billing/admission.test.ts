import { afterEach, describe, expect, test } from "bun:test";
import { loadConfig } from "../../src/config/load";
import { openDeps } from "../../src/deps";
import { createRequestControls } from "../../src/requestControls";
import { makeBillingEnv, type BillingEnv } from "../helpers/billing";
import { paidSession, signStripe, stripeEvent } from "../helpers/fakeStripe";
import { usageEvent } from "../helpers/usage";

let env: BillingEnv | undefined;
afterEach(() => env?.close());

async function topUp(e: BillingEnv, accountId: string, micros: number) {
  const row = await e.deps.billing.checkout(accountId, micros);
  const payload = stripeEvent("checkout.session.completed", paidSession(e.fake.sessions.get(row.id)!));
  return e.deps.billing.receiveWebhook(payload, await signStripe(payload));
}

describe("§5 payments: prepaid admission", () => {
  test("an account at zero balance gets 402 payment_required; a top-up restores access; usage spends it again", async () => {
    env = await makeBillingEnv("prepaid");
    const refused = await env.deps.billing.admit("acc_a", crypto.randomUUID(), 0);
    expect(refused?.code).toBe("payment_required");
    expect(refused?.status).toBe(402);

    expect(await topUp(env, "acc_a", 1_000_000)).toBe("applied");
    expect(await env.deps.billing.admit("acc_a", crypto.randomUUID(), 0)).toBeNull();

    // 1 USD/Mtok input: 1,000,000 input tokens cost exactly the 1 USD bought.
    const controls = await createRequestControls({ ...env.deps });
    controls.usageWriter.record(usageEvent(1, { accountId: "acc_a", inputTokens: 600_000, outputTokens: 0 }));
    controls.usageWriter.record(usageEvent(2, { accountId: "acc_a", inputTokens: 400_000, outputTokens: 0 }));
    await controls.usageWriter.flush();
    expect(await env.deps.billing.balance("acc_a")).toBe(0n);
    expect((await env.deps.billing.admit("acc_a", crypto.randomUUID(), 0))?.code).toBe("payment_required");
    expect((await env.deps.billing.admit("acc_b", crypto.randomUUID(), 0))?.code).toBe("payment_required");
  });

  test("a grant written by another process (the CLI) is seen by the running view at the next admission", async () => {
    env = await makeBillingEnv("prepaid");
    expect(await env.deps.billing.admit("acc_a", crypto.randomUUID(), 0)).not.toBeNull();
    const cli = await openDeps(loadConfig({ file: `${env.dir}/kriora.toml`, dataDir: `${env.dir}/data`, env: {} }), {
      env: {},
    });
    await cli.billing.changeCredits(
      { accountId: "acc_a", kind: "grant", amountMicros: 1, reason: "one micro-dollar" },
      "cli",
    );
    cli.handle.close();
    expect(await env.deps.billing.admit("acc_a", crypto.randomUUID(), 0)).toBeNull();
    expect(await env.deps.billing.balance("acc_a")).toBe(1n);
  });

  test("off and metered modes never refuse for balance", async () => {
    for (const mode of ["off", "metered"] as const) {
      const e = await makeBillingEnv(mode);
      expect([mode, await e.deps.billing.admit("acc_a", crypto.randomUUID(), 0)]).toEqual([mode, null]);
      e.close();
    }
  });
});
