import type { Clock } from "../lib/clock";
import { KrioraError } from "../lib/errors";
import { newId } from "../lib/ids";
import type { Logger } from "../lib/log";
import { memoryWindows } from "./memory";
import { createMemoryLimiter, reservation, retryAfterS } from "./memoryLimiter";
import type {
  Admission,
  Coordination,
  Invalidation,
  LeaderLock,
  LimitReason,
  LimitSubject,
  Limiter,
  SpendCounters,
  Wallets,
  WindowCounters,
} from "./port";
import { rateHeaders } from "./rateHeaders";
import { openRedisLink, type RedisLink } from "./redisLink";
import * as lua from "./scripts";

interface RedisOptions {
  url: string;
  /** Every key starts with it, so that several gateways (or test runs) can share one Redis. */
  prefix: string;
  clock: Clock;
  log: Logger;
  /** While Redis is down, rpm/tpm fall back to this process's buckets at limit/instances. */
  instances: number;
  /** How long the leader lock outlives its holder (renewed every third of it). */
  lockMs?: number;
  /** How long a concurrency slot or a prepaid hold outlives the instance that took it (renewed while in flight). */
  leaseMs?: number;
}

/** A concurrency slot or prepaid hold taken by an instance that died is freed after this long. */
const LEASE_MS = 15 * 60_000;
/** How long an add, settle or credit id is remembered against a retry counting it twice. */
const ONCE_MS = 24 * 3_600_000;
/** An untouched wallet is seeded from the ledger again after this long (the ledger is the truth). */
const WALLET_MS = 24 * 3_600_000;
const SPEND_MS = 40 * 24 * 3_600_000;

/** Shared by every instance on the same Redis (or Valkey) and prefix. */
export function createRedisCoordination(o: RedisOptions): Coordination {
  const link = openRedisLink(o.url, o.log, `${o.prefix}epoch`);
  const k = (...parts: string[]) => `${o.prefix}${parts.join(":")}`;
  const instance = newId("inst");
  const locks: LeaderLock[] = [];
  return {
    kind: "redis",
    limiter: redisLimiter(link, k, o, o.leaseMs ?? LEASE_MS),
    spend: redisSpend(link, k),
    wallets: redisWallets(link, k, o.clock, o.leaseMs ?? LEASE_MS),
    windows: redisWindows(link, k, o.clock, memoryWindows(o.clock)),
    feed: redisFeed(link, k("invalidate"), instance),
    leader(name) {
      const lock = redisLock(link, k("lock", name), instance, o.log, o.lockMs ?? 15_000);
      locks.push(lock);
      return lock;
    },
    async close() {
      for (const l of locks) await l.release();
      await link.close();
    },
  };
}

function redisLimiter(link: RedisLink, k: (...p: string[]) => string, o: RedisOptions, leaseMs: number): Limiter {
  // Per-instance buckets at limit/N while Redis is down: never more than the shared limit in all.
  const fallback = createMemoryLimiter(o.clock);
  const share = (n: number) => (n > 0 ? Math.max(1, Math.floor(n / o.instances)) : 0);
  let warned = false;
  // The slots of requests in flight here are renewed while they last: they expire only when this instance died.
  const kept = renewer(leaseMs);
  return {
    async admit(subjects: LimitSubject[], estimatedTokens: number): Promise<Admission> {
      const lease = newId("lease");
      const keys = subjects.flatMap((s) => [k("bucket", s.id), k("slots", s.id)]);
      const args = [o.clock.now(), estimatedTokens, lease, leaseMs];
      for (const { spec } of subjects) args.push(spec.rpm, spec.tpm, spec.concurrency);
      let reply: string[];
      try {
        reply = (await link.run(lua.ADMIT, keys, args)) as string[];
      } catch (err) {
        if (!(err instanceof KrioraError)) throw err;
        if (!warned) o.log.warn("limits_per_instance", { instances: o.instances });
        warned = true;
        return fallback.admit(
          subjects.map((s) => ({
            id: s.id,
            spec: { rpm: share(s.spec.rpm), tpm: share(s.spec.tpm), concurrency: share(s.spec.concurrency) },
          })),
          estimatedTokens,
        );
      }
      warned = false;
      const headers = rateHeaders(
        subjects.map((s, i) => ({
          spec: s.spec,
          requests: Number(reply[3 + 2 * i]),
          tokens: Number(reply[4 + 2 * i]),
        })),
      );
      if (reply[0] !== "1")
        return { ok: false, reason: reply[1] as LimitReason, retryAfterS: retryAfterS(Number(reply[2])), headers };
      const buckets = subjects.filter((s) => s.spec.tpm > 0).map((s) => k("bucket", s.id));
      const slots = subjects.map((s) => k("slots", s.id));
      const reserved = subjects.map((s) => reservation(s.spec, estimatedTokens));
      let settled = false;
      let released = false;
      kept.keep(lease, () => link.later(lua.RENEW_SLOTS, slots, [lease, o.clock.now() + leaseMs, leaseMs]));
      return {
        ok: true,
        headers,
        lease: {
          settle(actual) {
            if (settled || buckets.length === 0) return;
            settled = true;
            // Every limited subject reserved the same estimate unless capped at its own tpm.
            for (const [i, s] of subjects.entries())
              if (s.spec.tpm > 0 && actual !== reserved[i])
                link.later(lua.SETTLE_TOKENS, [k("bucket", s.id)], [actual - reserved[i]!]);
          },
          release() {
            if (released) return;
            released = true;
            kept.drop(lease);
            link.later(lua.RELEASE_SLOTS, slots, [lease]);
          },
        },
      };
    },
  };
}

function redisSpend(link: RedisLink, k: (...p: string[]) => string): SpendCounters {
  const key = (subject: string, month: string) => k("spend", month, subject);
  return {
    async get(subject, month, load) {
      const read = async () =>
        (await link.run("return redis.call('GET', KEYS[1])", [key(subject, month)], [])) as string | null;
      const seen = await read();
      if (seen !== null) return Number(seen);
      const loaded = await load();
      await link.run(
        "return redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2])",
        [key(subject, month)],
        [loaded, SPEND_MS],
      );
      return Number((await read()) ?? loaded);
    },
    async add(subjects, month, micros, id) {
      if (micros <= 0) return;
      link.later(lua.ADD_ONCE, [k("once", "spend", id), ...subjects.map((s) => key(s, month))], [micros, ONCE_MS]);
    },
  };
}

function redisWallets(link: RedisLink, k: (...p: string[]) => string, clock: Clock, leaseMs: number): Wallets {
  const wallet = (accountId: string) => k("wallet", accountId);
  const holds = (accountId: string) => k("holds", accountId);
  // Like concurrency slots, the holds of requests in flight here are renewed while they last.
  const kept = renewer(leaseMs);
  return {
    async hold(accountId, id, micros, balance) {
      const args = [id, Math.max(1, Math.round(micros)), clock.now(), leaseMs];
      const keys = [wallet(accountId), holds(accountId)];
      let verdict = Number(await link.run(lua.HOLD, keys, args));
      if (verdict === -1) {
        const seed = await balance();
        await link.run(lua.SEED_WALLET, [wallet(accountId)], [seed.micros.toString(), seed.seq, WALLET_MS]);
        verdict = Number(await link.run(lua.HOLD, keys, args));
      }
      if (verdict !== 1) return false;
      kept.keep(id, () => link.later(lua.RENEW_HOLD, [holds(accountId)], [id, clock.now() + leaseMs, leaseMs]));
      return true;
    },
    async settle(accountId, id, micros) {
      kept.drop(id);
      link.later(
        lua.SETTLE_WALLET,
        [k("once", "settle", id), wallet(accountId), holds(accountId)],
        [id, Math.max(0, Math.round(micros)), ONCE_MS, WALLET_MS],
      );
    },
    async credit(accountId, id, micros, seq) {
      link.later(lua.CREDIT_WALLET, [k("once", "credit", id), wallet(accountId)], [micros, ONCE_MS, seq]);
    },
  };
}

/** Renews what requests in flight here hold (by id), every third of `leaseMs`, until each is dropped. */
function renewer(leaseMs: number) {
  const live = new Map<string, () => void>();
  let timer: Timer | null = null;
  return {
    keep(id: string, renew: () => void) {
      live.set(id, renew);
      if (timer) return;
      timer = setInterval(() => {
        for (const r of live.values()) r();
      }, leaseMs / 3);
      timer.unref();
    },
    drop(id: string) {
      live.delete(id);
      if (live.size > 0 || !timer) return;
      clearInterval(timer);
      timer = null;
    },
  };
}

/** Abuse counters and the sign-in throttle; while Redis is down they count in this process. */
function redisWindows(
  link: RedisLink,
  k: (...p: string[]) => string,
  clock: Clock,
  local: WindowCounters,
): WindowCounters {
  const orLocal = async <T>(shared: () => Promise<T>, here: () => Promise<T>) => {
    try {
      return await shared();
    } catch (err) {
      if (err instanceof KrioraError) return here();
      throw err;
    }
  };
  return {
    hit: (key, windowMs) =>
      orLocal(
        async () => {
          const [count, left] = (await link.run(lua.HIT, [k("window", key)], [windowMs, clock.now()])) as [
            number,
            string,
          ];
          return { count, resetMs: Number(left) };
        },
        () => local.hit(key, windowMs),
      ),
    addDistinct: (key, member, windowMs) =>
      orLocal(
        async () => Number(await link.run(lua.ADD_DISTINCT, [k("distinct", key)], [windowMs, clock.now(), member])),
        () => local.addDistinct(key, member, windowMs),
      ),
    reset: (key) =>
      orLocal(
        async () =>
          void (await link.run(
            "return redis.call('DEL', KEYS[1], KEYS[2])",
            [k("window", key), k("distinct", key)],
            [],
          )),
        () => local.reset(key),
      ),
  };
}

function redisFeed(link: RedisLink, channel: string, instance: string) {
  return {
    publish(event: Invalidation) {
      link.later(
        "return redis.call('PUBLISH', KEYS[1], ARGV[1])",
        [channel],
        [JSON.stringify({ from: instance, event })],
      );
    },
    subscribe(handler: (event: Invalidation) => void, resync: () => void) {
      link.subscribe(
        channel,
        (message) => {
          const { from, event } = JSON.parse(message) as { from: string; event: Invalidation };
          if (from !== instance) handler(event);
        },
        resync,
      );
    },
  };
}

function redisLock(link: RedisLink, key: string, instance: string, log: Logger, ttlMs: number): LeaderLock {
  let heldUntil = 0;
  let timer: Timer | null = null;
  const take = async () => {
    const started = performance.now();
    try {
      const won = Number(await link.run(lua.TAKE_LOCK, [key], [instance, ttlMs])) === 1;
      if (won && heldUntil <= performance.now()) log.info("leader_acquired", { lock: key });
      // Held until the ttl runs out counted from before the request: no one else can take it sooner.
      heldUntil = won ? started + ttlMs : 0;
      return won;
    } catch {
      return heldUntil > performance.now();
    }
  };
  return {
    held: () => heldUntil > performance.now(),
    async acquire() {
      if (!timer) {
        timer = setInterval(() => void take(), ttlMs / 3);
        timer.unref();
      }
      return take();
    },
    async release() {
      if (timer) clearInterval(timer);
      timer = null;
      if (heldUntil === 0) return;
      heldUntil = 0;
      await link.run(lua.RELEASE_LOCK, [key], [instance]).catch(() => undefined);
    },
  };
}
