import { and, eq, gte, lt, sum } from "drizzle-orm";
import type { SpendCounters } from "../coord/port";
import type { Db } from "../db/client";
import { usageDaily, usageEvents } from "../db/schema";
import { one } from "../db/tx";
import { iso } from "../lib/clock";

/**
 * Each account's and each key's spend this calendar month (UTC), in micro-dollars, held by the
 * coordination port (this process's memory, or Redis shared by every instance) so the spend caps
 * cost no aggregate query on the request path. Loaded on first use — an account's from the daily
 * aggregates, a key's from its usage rows (which carry the key) — then advanced as usage is
 * recorded (before it is flushed), so a cap holds at once.
 */
export interface SpendTracker {
  /** `requestId` makes a retried add count once. */
  add(accountId: string, keyId: string | null, at: number, micros: number, requestId: string): void;
  spent(accountId: string, now: number): Promise<number>;
  keySpent(accountId: string, keyId: string, now: number): Promise<number>;
}

const monthOf = (ms: number) => iso(ms).slice(0, 7);
const monthStart = (month: string) => Date.parse(`${month}-01T00:00:00Z`);
const accountSubject = (accountId: string) => `account:${accountId}`;
const keySubject = (accountId: string, keyId: string) => `key:${accountId}:${keyId}`;

export function createSpendTracker(db: Db, counters: SpendCounters): SpendTracker {
  const accountSpend = async (accountId: string, month: string) => {
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
  };
  // Filtered by account and key so the query can use the (account, at) index.
  const keySpend = async (accountId: string, keyId: string, month: string) => {
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
  };
  return {
    add(accountId, keyId, at, micros, requestId) {
      if (micros <= 0) return;
      const subjects = [accountSubject(accountId), ...(keyId === null ? [] : [keySubject(accountId, keyId)])];
      void counters.add(subjects, monthOf(at), micros, requestId);
    },
    spent(accountId, now) {
      const month = monthOf(now);
      return counters.get(accountSubject(accountId), month, () => accountSpend(accountId, month));
    },
    keySpent(accountId, keyId, now) {
      const month = monthOf(now);
      return counters.get(keySubject(accountId, keyId), month, () => keySpend(accountId, keyId, month));
    },
  };
}
