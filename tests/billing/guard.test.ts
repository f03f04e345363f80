import { afterEach, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createStripeClient, NonLoopbackStripeError } from "../../src/billing/stripe";
import { loadConfig } from "../../src/config/load";
import { openDeps } from "../../src/deps";
import { makeBillingEnv, type BillingEnv } from "../helpers/billing";
import { STRIPE_ENV } from "../helpers/fakeStripe";

let env: BillingEnv | undefined;
afterEach(() => env?.close());

const root = join(import.meta.dir, "../..");
function sources(dir: string): string[] {
  return readdirSync(join(root, dir), { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts"))
    .map((f) => join(dir, f));
}

describe("§10 processors: no test can reach Stripe", () => {
  test("the one Stripe constructor refuses any non-loopback host under test, the default api.stripe.com included", () => {
    expect(() => createStripeClient("sk_test_x")).toThrow(NonLoopbackStripeError);
    expect(() => createStripeClient("sk_test_x", { host: "api.stripe.com" })).toThrow(NonLoopbackStripeError);
    expect(() => createStripeClient("sk_test_x", { host: "10.0.0.8", port: 443 })).toThrow(NonLoopbackStripeError);
    expect(createStripeClient("sk_test_x", { host: "127.0.0.1", port: 1, protocol: "http" })).toBeDefined();
  });

  test("a gateway configured for billing without the loopback override does not start under test", async () => {
    env = await makeBillingEnv("off");
    const config = loadConfig({
      file: `${env.dir}/kriora.toml`,
      dataDir: `${env.dir}/data`,
      env: { KRIORA_BILLING_MODE: "prepaid" },
    });
    await expect(openDeps(config, { env: STRIPE_ENV })).rejects.toThrow(NonLoopbackStripeError);
  });

  test("no other file constructs a Stripe client", () => {
    const constructing = [...sources("src"), ...sources("tests")].filter((f) =>
      /new Stripe\(/.test(readFileSync(join(root, f), "utf8")),
    );
    expect(constructing).toEqual(["src/billing/stripe.ts"]);
  });
});

describe("billing start-up", () => {
  test("a missing Stripe secret turns billing off with one warning that names the variable and carries no secret", async () => {
    env = await makeBillingEnv("prepaid", { env: { STRIPE_SECRET_KEY: STRIPE_ENV.STRIPE_SECRET_KEY } });
    expect(env.deps.billing.mode).toBe("off");
    expect(await env.deps.billing.admit("acc_a", crypto.randomUUID(), 0)).toBeNull();
    const warnings = env.log.lines.filter((l) => l.includes("billing_disabled"));
    expect(warnings).toHaveLength(1);
    expect(JSON.parse(warnings[0]!)).toMatchObject({
      level: "warn",
      configured_mode: "prepaid",
      missing_env: "STRIPE_WEBHOOK_SECRET",
    });
    expect(env.log.text()).not.toContain(STRIPE_ENV.STRIPE_SECRET_KEY);
  });

  test("with both secrets the configured mode is in force and nothing is logged about them", async () => {
    env = await makeBillingEnv("metered");
    expect(env.deps.billing.mode).toBe("metered");
    for (const secret of Object.values(STRIPE_ENV)) expect(env.log.text()).not.toContain(secret);
  });
});
