import { and, eq, gte, lt, sum } from "drizzle-orm";
import type { Db } from "../db/client";
import { usageDaily } from "../db/schema";

/**
 * Each account's spend this calendar month (UTC), in micro-dollars, held in memory so the
 * spend cap costs nothing on the request path. Loaded from the daily aggregates on first use,
 * then advanced as usage is recorded (before it is flushed), so a cap holds at once.
 */
export interface SpendTracker {
  add(accountId: string, at: number, micros: number): void;
  spent(accountId: string, now: number): number;
}

export const monthOf = (ms: number) => new Date(ms).toISOString().slice(0, 7);

export function createSpendTracker(db: Db): SpendTracker {
  const byAccount = new Map<string, { month: string; micros: number }>();
  const entry = (accountId: string, month: string) => {
    let e = byAccount.get(accountId);
    if (!e || e.month !== month) {
      const row = db
        .select({ total: sum(usageDaily.costMicros) })
        .from(usageDaily)
        .where(and(eq(usageDaily.accountId, accountId), gte(usageDaily.day, `${month}-01`), lt(usageDaily.day, `${month}-99`)))
        .get();
      e = { month, micros: Number(row?.total ?? 0) };
      byAccount.set(accountId, e);
    }
    return e;
  };
  return {
    add(accountId, at, micros) {
      const month = monthOf(at);
      if (micros > 0) entry(accountId, month).micros += micros;
    },
    spent(accountId, now) {
      return entry(accountId, monthOf(now)).micros;
    },
  };
}
