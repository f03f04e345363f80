import { and, eq, gte, lt, sum } from "drizzle-orm";
import type { Db } from "../db/client";
import { usageDaily, usageEvents } from "../db/schema";
import { iso } from "../lib/clock";
import { one } from "../db/tx";

/**
 * Each account's and each key's spend this calendar month (UTC), in micro-dollars, held in memory
 * so the spend caps cost nothing on the request path. Loaded on first use — an account's from the
 * daily aggregates, a key's from its usage rows (which carry the key) — then advanced as usage is
 * recorded (before it is flushed), so a cap holds at once.
 */
export interface SpendTracker {
  add(accountId: string, keyId: string | null, at: number, micros: number): void;
  spent(accountId: string, now: number): Promise<number>;
  keySpent(accountId: string, keyId: string, now: number): Promise<number>;
}

const monthOf = (ms: number) => iso(ms).slice(0, 7);
const monthStart = (month: string) => Date.parse(`${month}-01T00:00:00Z`);

interface MonthTotal {
  month: string;
  /** What was recorded in this process since the entry was made, plus the stored total once loaded. */
  micros: number;
  /** Settles when the stored total has been added; null once it has. */
  loading: Promise<void> | null;
}

/** Month-to-date totals by subject, each loaded once a month by `load`. */
function monthlyTotals(load: (subject: string, month: string) => Promise<number>) {
  const bySubject = new Map<string, MonthTotal>();
  return (subject: string, month: string): MonthTotal => {
    let e = bySubject.get(subject);
    if (!e || e.month !== month) {
      const entry: MonthTotal = { month, micros: 0, loading: null };
      // Additions made while the stored total is read are kept: the total is added to them.
      entry.loading = load(subject, month).then(
        (stored) => {
          entry.micros += stored;
          entry.loading = null;
        },
        (err: unknown) => {
          if (bySubject.get(subject) === entry) bySubject.delete(subject);
          throw err;
        },
      );
      entry.loading.catch(() => undefined);
      bySubject.set(subject, entry);
      e = entry;
    }
    return e;
  };
}

const settledTotal = async (e: MonthTotal) => {
  if (e.loading) await e.loading;
  return e.micros;
};

export function createSpendTracker(db: Db): SpendTracker {
  const account = monthlyTotals(async (accountId, month) => {
    const row = await one(
      db
        .select({ total: sum(usageDaily.costMicros) })
        .from(usageDaily)
        .where(
          and(
            eq(usageDaily.accountId, accountId),
            gte(usageDaily.day, `${month}-01`),
            lt(usageDaily.day, `${month}-99`),
          ),
        ),
    );
    return Number(row?.total ?? 0);
  });
  // Keyed by account and key so the query can use the (account, at) index.
  const key = monthlyTotals(async (subject, month) => {
    const [accountId, keyId] = JSON.parse(subject) as [string, string];
    const row = await one(
      db
        .select({ total: sum(usageEvents.costMicros) })
        .from(usageEvents)
        .where(
          and(
            eq(usageEvents.accountId, accountId),
            gte(usageEvents.at, monthStart(month)),
            eq(usageEvents.keyId, keyId),
          ),
        ),
    );
    return Number(row?.total ?? 0);
  });
  const keySubject = (accountId: string, keyId: string) => JSON.stringify([accountId, keyId]);
  return {
    add(accountId, keyId, at, micros) {
      if (micros <= 0) return;
      const month = monthOf(at);
      account(accountId, month).micros += micros;
      if (keyId !== null) key(keySubject(accountId, keyId), month).micros += micros;
    },
    spent: (accountId, now) => settledTotal(account(accountId, monthOf(now))),
    keySpent: (accountId, keyId, now) => settledTotal(key(keySubject(accountId, keyId), monthOf(now))),
  };
}
