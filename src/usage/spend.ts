import { and, eq, gte, lt, sum } from "drizzle-orm";
import type { Db } from "../db/client";
import { usageDaily, usageEvents } from "../db/schema";
import { iso } from "../lib/clock";

/**
 * Each account's and each key's spend this calendar month (UTC), in micro-dollars, held in memory
 * so the spend caps cost nothing on the request path. Loaded on first use — an account's from the
 * daily aggregates, a key's from its usage rows (which carry the key) — then advanced as usage is
 * recorded (before it is flushed), so a cap holds at once.
 */
export interface SpendTracker {
  add(accountId: string, keyId: string | null, at: number, micros: number): void;
  spent(accountId: string, now: number): number;
  keySpent(accountId: string, keyId: string, now: number): number;
}

const monthOf = (ms: number) => iso(ms).slice(0, 7);
const monthStart = (month: string) => Date.parse(`${month}-01T00:00:00Z`);

/** Month-to-date totals by subject, each loaded once a month by `load`. */
function monthlyTotals(load: (subject: string, month: string) => number) {
  const bySubject = new Map<string, { month: string; micros: number }>();
  return (subject: string, month: string) => {
    let e = bySubject.get(subject);
    if (!e || e.month !== month) {
      e = { month, micros: load(subject, month) };
      bySubject.set(subject, e);
    }
    return e;
  };
}

export function createSpendTracker(db: Db): SpendTracker {
  const account = monthlyTotals((accountId, month) => {
    const row = db
      .select({ total: sum(usageDaily.costMicros) })
      .from(usageDaily)
      .where(
        and(eq(usageDaily.accountId, accountId), gte(usageDaily.day, `${month}-01`), lt(usageDaily.day, `${month}-99`)),
      )
      .get();
    return Number(row?.total ?? 0);
  });
  // Keyed by account and key so the query can use the (account, at) index.
  const key = monthlyTotals((subject, month) => {
    const [accountId, keyId] = JSON.parse(subject) as [string, string];
    const row = db
      .select({ total: sum(usageEvents.costMicros) })
      .from(usageEvents)
      .where(
        and(eq(usageEvents.accountId, accountId), gte(usageEvents.at, monthStart(month)), eq(usageEvents.keyId, keyId)),
      )
      .get();
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
    spent: (accountId, now) => account(accountId, monthOf(now)).micros,
    keySpent: (accountId, keyId, now) => key(keySubject(accountId, keyId), monthOf(now)).micros,
  };
}
