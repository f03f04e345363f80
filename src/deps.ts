import type { Config } from "./config/schema";
import { createAuditTrail, type AuditTrail } from "./audit/audit";
import { openDatabase, type Db, type DbHandle } from "./db/client";
import { loadOrCreateMasterKey, masterKeyring } from "./crypto/masterKey";
import { createFieldCipher, type FieldCipher } from "./crypto/fields";
import { createKeyWrap } from "./crypto/dataKeys";
import { createDataKeys, type DataKeys } from "./db/dataKeys";
import { adoptDataKeys } from "./privacy/dataKeyAdoption";
import { systemClock, type Clock } from "./lib/clock";
import { createLogger, type Logger } from "./lib/log";
import { createShutdown, type Shutdown } from "./lib/shutdown";
import { createMemoryCoordination } from "./coord/memory";
import type { Coordination, InvalidationFeed } from "./coord/port";
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
  /**
   * Per-account data keys (crypto-shredding). `dataKeys.forget(accountId)` drops a key from this
   * process's cache: the hook for another instance's erasure.
   */
  dataKeys: DataKeys;
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

/**
 * The feed as the auth view subscribes to it, also telling the data keys: an account changed on
 * another instance (an erasure among others) drops its unwrapped key here, read again if still there.
 */
function forgettingDataKeys(feed: InvalidationFeed, dataKeys: DataKeys): InvalidationFeed {
  return {
    publish: (event) => feed.publish(event),
    subscribe: (handler, resync) =>
      feed.subscribe((event) => {
        if (event.kind === "account") dataKeys.forget(event.id);
        handler(event);
      }, resync),
  };
}

/**
 * Load the master keyring, open and migrate the database (moving fields still under the master
 * key to per-account data keys), and wire the services.
 */
export async function openDeps(config: Readonly<Config>, opts: OpenOptions = {}): Promise<Deps> {
  const ring = masterKeyring(loadOrCreateMasterKey(config.security.master_key_file));
  const handle = openDatabase(config.database.path);
  await handle.migrate();
  const clock = opts.clock ?? systemClock;
  const log = opts.log ?? createLogger();
  const audit = createAuditTrail(handle.db, clock);
  const cipher = createFieldCipher(ring);
  const dataKeys = createDataKeys(createKeyWrap(ring));
  await adoptDataKeys({ db: handle.db, cipher, dataKeys, clock, log, ipDays: config.retention.ip_days });
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
  const controls = await createRequestControls({
    config,
    db: handle.db,
    cipher,
    dataKeys,
    audit,
    clock,
    log,
    coord,
    billing,
  });
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
    dataKeys,
    audit,
    clock,
    log,
    authView: await loadAuthView(handle, coord.kind === "redis" ? forgettingDataKeys(coord.feed, dataKeys) : null),
    mailer: createMailer(config.mail, log),
    billing,
    ...controls,
    usage,
    shutdown: createShutdown(),
    tracing,
  };
  return { ...base, auth: createAuthenticator(base) };
}
