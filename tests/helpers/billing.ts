import { afterEach } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config/load";
import { openDeps, type Deps } from "../../src/deps";
import type { Clock } from "../../src/lib/clock";
import { createApp } from "../../src/http/app";
import { captureLog, type CapturedLog } from "./deps";
import { makeAccount, makeKey } from "./identity";
import { STRIPE_ENV, startFakeStripe, type FakeStripe } from "./fakeStripe";
import { redisModeEnv } from "./redisMode";

/** `[[models]]` at one unreachable provider, priced per million tokens: `[id, input, output, cached input]`. */
export function pricedModels(models: [string, number, number, number?][]): string {
  const entries = models.map(([id, input, output, cached = 0]) =>
    [
      `[[models]]`,
      `id = "${id}"`,
      `provider = "p"`,
      `input_usd_per_mtok = ${input}`,
      `output_usd_per_mtok = ${output}`,
      `cached_input_usd_per_mtok = ${cached}`,
    ].join("\n"),
  );
  return ['[[providers]]\nid = "p"\nkind = "openai"\nbase_url = "http://127.0.0.1:1/v1"', ...entries].join("\n");
}

/** Model `m`: 1 USD per million input tokens, 2 per million output tokens (as the usage helper's events assume). */
export const PRICED_MODEL = pricedModels([["m", 1, 2]]);

export interface BillingEnv {
  dir: string;
  fake: FakeStripe;
  log: CapturedLog;
  deps: Deps;
  /** Close the database and open it again from the same data dir: a restart. */
  restart(): Promise<Deps>;
  close(): void;
}

/**
 * A data dir whose gateway bills in `mode` against a loopback fake Stripe, with the Stripe
 * secrets in its (private) environment. `restart()` reopens it as a new process would.
 */
export async function makeBillingEnv(
  mode: "off" | "prepaid" | "metered",
  opts: { toml?: string; server?: string; clock?: Clock; env?: Record<string, string> } = {},
): Promise<BillingEnv> {
  const dir = mkdtempSync(join(tmpdir(), "kriora-billing-"));
  const file = join(dir, "kriora.toml");
  writeFileSync(
    file,
    `[server]\npublic_url = "https://gw.example.test"\n${opts.server ?? ""}\n[billing]\nmode = "${mode}"\n${opts.toml ?? PRICED_MODEL}`,
  );
  const redis = redisModeEnv();
  const config = loadConfig({ file, dataDir: join(dir, "data"), env: redis.env });
  const fake = startFakeStripe();
  const log = captureLog();
  const open = () => openDeps(config, { log, clock: opts.clock, env: opts.env ?? STRIPE_ENV, stripe: fake.endpoint });
  const env: BillingEnv = {
    dir,
    fake,
    log,
    deps: await open(),
    async restart() {
      void env.deps.coord.close();
      env.deps.handle.close();
      env.deps = await open();
      return env.deps;
    },
    close() {
      void env.deps.coord.close().then(redis.drop);
      env.deps.handle.close();
      fake.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return env;
}

/**
 * `setup(mode)`: a billing env with its in-process app, a user (`payer@example.com`, model and
 * account scopes) and an admin's key. Each env a test sets up is closed after that test.
 */
export function billingPerTest() {
  const opened: BillingEnv[] = [];
  afterEach(() => {
    for (const env of opened.splice(0)) env.close();
  });
  return async (mode: "off" | "prepaid" | "metered" = "prepaid") => {
    const env = await makeBillingEnv(mode);
    opened.push(env);
    const app = createApp(env.deps);
    const user = await makeAccount(env.deps, "payer@example.com");
    const admin = await makeAccount(env.deps, "boss@example.com", "admin");
    const userKey = (await makeKey(env.deps, user.id)).key;
    const adminKey = (await makeKey(env.deps, admin.id, { scopes: ["admin", "account"] })).key;
    return { env, app, user, userKey, adminKey };
  };
}
