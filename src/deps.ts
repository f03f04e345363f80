import type { Config } from "./config/schema";
import { createAuditTrail, type AuditTrail } from "./audit/audit";
import { openDatabase, type Db, type DbHandle } from "./db/client";
import { loadOrCreateMasterKey } from "./crypto/masterKey";
import { createFieldCipher, type FieldCipher } from "./crypto/fields";
import { systemClock, type Clock } from "./lib/clock";
import { createLogger, type Logger } from "./lib/log";
import { createShutdown, type Shutdown } from "./lib/shutdown";
import { createMemoryCoordination } from "./coord/memory";
import type { Coordination } from "./coord/port";
import { createRedisCoordination } from "./coord/redis";
import { postgresJobsLock } from "./db/jobsLock";
import { createTracing, noTracing, type Tracing } from "./telemetry/tracing";
import { VERSION } from "./version";
import { createAuthenticator } from "./auth/authenticate";
import type { Authenticator } from "./auth/principal";
import { loadAuthView, type AuthView } from "./auth/view";
import { createMailer, type Mailer } from "./mail/mailer";
import type { UsageSink } from "./usage/sink";
import { createRequestControls, type RequestControls } from "./requestControls";
import { createBilling, type Billing } from "./billing/billing";
import type { StripeEndpoint } from "./billing/stripe";
import type { RetryTiming } from "./proxy/attempts";

/**
 * Everything a service or route needs, passed down explicitly. Tests build one around a
 * temporary data dir and swap parts (clock, logger) without module mocking.
 */
export interface Deps extends RequestControls {
  config: Readonly<Config>;
  handle: DbHandle;
  db: Db;
  cipher: FieldCipher;
  audit: AuditTrail;
  clock: Clock;
  log: Logger;
  auth: Authenticator;
  /** Live keys, account status and the keyring's public keys, in memory (see auth/view.ts). */
  authView: AuthView;
  mailer: Mailer;
  /** Per-request usage from the model proxy: `usageWriter`, and the tracing span's usage when tracing is on. */
  usage: UsageSink;
  /** Ledger, balances and admission, Stripe checkout, webhooks and meter events (billing/billing.ts). */
  billing: Billing;
  /** Fired when the shutdown grace runs out: open streams end with a final error event. */
  shutdown: Shutdown;
  /** OpenTelemetry spans, one per request (telemetry.otlp_traces_url); a no-op when off. */
  tracing: Tracing;
  /** Randomness and waits of the proxy's routing and retries; real ones when absent (tests swap them). */
  retryTiming?: RetryTiming;
}

interface OpenOptions {
  clock?: Clock;
  log?: Logger;
  /** Where Stripe secrets are read; process.env by default. */
  env?: Record<string, string | undefined>;
  /** Tests point Stripe at a loopback fake. */
  stripe?: StripeEndpoint;
}

/**
 * `redis.url` set: limits, spend, wallets, abuse windows, the feed and the job lock are shared
 * through Redis. Without it everything stays in this process; on PostgreSQL the job lock is then
 * an advisory lock, so that a second instance learns it would run without shared state.
 */
function openCoordination(config: Readonly<Config>, clock: Clock, log: Logger): Coordination {
  const { url, prefix, instances } = config.redis;
  if (url) return createRedisCoordination({ url, prefix, instances, clock, log });
  const memory = createMemoryCoordination(clock);
  const database = config.database.url;
  return database ? { ...memory, leader: (name) => postgresJobsLock(database, name) } : memory;
}

/** Load the master key, open and migrate the database, and wire the services. */
export async function openDeps(config: Readonly<Config>, opts: OpenOptions = {}): Promise<Deps> {
  const master = loadOrCreateMasterKey(config.security.master_key_file);
  const handle = openDatabase(config.database.path);
  await handle.migrate();
  const clock = opts.clock ?? systemClock;
  const log = opts.log ?? createLogger();
  const audit = createAuditTrail(handle.db, clock);
  const cipher = createFieldCipher({ keys: [{ id: "k1", key: master }] });
  const coord = openCoordination(config, clock, log);
  const billing = await createBilling({
    config,
    db: handle.db,
    clock,
    log,
    audit,
    wallets: coord.wallets,
    env: opts.env,
    stripe: opts.stripe,
  });
  const controls = await createRequestControls({ config, db: handle.db, cipher, audit, clock, log, coord, billing });
  const tracing = createTracing(config, VERSION, log);
  const usage: UsageSink =
    tracing === noTracing
      ? controls.usageWriter
      : { record: (e) => (tracing.usage(e), controls.usageWriter.record(e)) };
  const base = {
    config,
    handle,
    db: handle.db,
    cipher,
    audit,
    clock,
    log,
    authView: await loadAuthView(handle, coord.kind === "redis" ? coord.feed : null),
    mailer: createMailer(config.mail, log),
    billing,
    ...controls,
    usage,
    shutdown: createShutdown(),
    tracing,
  };
  return { ...base, auth: createAuthenticator(base) };
}
