/**
 * The coordination port: the state several `kriora serve` instances must share to keep their
 * limits exact (issue 14). `memory.ts` keeps it in this process (one instance, today's behaviour);
 * `redis.ts` keeps it in Redis or Valkey. Each operation is atomic on its own.
 */
export interface Coordination {
  /** "redis" when the state is shared by every instance on the same Redis. */
  readonly kind: "memory" | "redis";
  limiter: Limiter;
  spend: SpendCounters;
  wallets: Wallets;
  windows: WindowCounters;
  feed: InvalidationFeed;
  /** The lock that lets one instance only run the shared jobs (retention, policy notices, meter outbox). */
  leader(name: string): LeaderLock;
  close(): Promise<void>;
}

/** Per-minute limits; 0 means no limit on that dimension. */
export interface LimitSpec {
  rpm: number;
  tpm: number;
  concurrency: number;
}

/** What is limited: `key:<id>` or `account:<id>`, with its effective limits. */
export interface LimitSubject {
  id: string;
  spec: LimitSpec;
}

interface Lease {
  /** Replace the token reservation with the real count once usage is known. */
  settle(actualTokens: number): void;
  /** End of the request (idempotent): frees the concurrency slot. */
  release(): void;
}

export type LimitReason = "rpm" | "tpm" | "concurrency";

/** `headers`: `x-ratelimit-*` for the response (coord/rateHeaders.ts). */
export type Admission =
  | { ok: true; lease: Lease; headers: Record<string, string> }
  | { ok: false; reason: LimitReason; retryAfterS: number; headers: Record<string, string> };

/**
 * Rate-limit and token buckets (refilled continuously at limit/minute, holding at most one
 * minute's worth) and concurrency slots: all subjects admit together or none does.
 */
export interface Limiter {
  admit(subjects: LimitSubject[], estimatedTokens: number): Promise<Admission>;
}

/**
 * Month-to-date spend in micro-dollars per subject (`account:<id>`, `key:<account>:<key>`).
 * A counter is loaded from the database (`load`) the first time it is read in a month, then
 * advanced by `add` as usage is recorded, before the usage rows are flushed.
 */
export interface SpendCounters {
  get(subject: string, month: string, load: () => number | Promise<number>): Promise<number>;
  /** Add to the loaded counters of these subjects, once per `id` (a retried add never counts twice). */
  add(subjects: readonly string[], month: string, micros: number, id: string): Promise<void>;
}

/**
 * Prepaid balances used by admission. A request holds its estimated cost while in flight; it is
 * admitted only while `balance − holds > 0`, so a balance worth N requests admits at most N,
 * whichever instance each arrives at.
 */
export interface Wallets {
  /** Hold `micros` for request `id`; false when the balance is used up. `balance` reads the ledger when this wallet has none yet. */
  hold(
    accountId: string,
    id: string,
    micros: number,
    balance: () => LedgerBalance | Promise<LedgerBalance>,
  ): Promise<boolean>;
  /** The request cost `micros`: drop its hold and debit the cost, once per `id`. */
  settle(accountId: string, id: string, micros: number): Promise<void>;
  /** A ledger row other than a usage debit (a credit, a grant), committed at `seq`: applied once, unless the wallet was seeded after it. */
  credit(accountId: string, id: string, micros: number, seq: number): Promise<void>;
}

/** An account's balance in the ledger (micro-dollars), as of ledger row `seq`. */
export interface LedgerBalance {
  micros: bigint;
  seq: number;
}

/** Fixed windows counting hits, and distinct members, per key (abuse controls, the sign-in throttle). */
export interface WindowCounters {
  /** Count a hit; the count in the current window and the milliseconds until it ends. */
  hit(key: string, windowMs: number): Promise<{ count: number; resetMs: number }>;
  /** Add `member` to the window's set; the number of distinct members so far in this window. */
  addDistinct(key: string, member: string, windowMs: number): Promise<number>;
  reset(key: string): Promise<void>;
}

/** What changed, so that every instance refreshes its in-memory view of it. */
export type Invalidation =
  | { kind: "account" | "key"; id: string }
  | { kind: "signing_keys" }
  | { kind: "block"; subject: string; id: string; until: number }
  | { kind: "unblock"; subject: string };

export interface InvalidationFeed {
  /** Tell the other instances (never this one's own subscribers: the writer refreshed them already). */
  publish(event: Invalidation): void;
  /** `resync` runs when messages may have been missed (once subscribed, and after each reconnection): reload everything. */
  subscribe(handler: (event: Invalidation) => void, resync: () => void): void;
}

export interface LeaderLock {
  /** Whether this instance holds the lock now (renewed in the background once acquired). */
  held(): boolean;
  /** Try to take the lock now, and keep trying in the background until `release`. */
  acquire(): Promise<boolean>;
  release(): Promise<void>;
}
