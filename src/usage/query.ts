import { and, eq, gte, lte, notInArray, sum } from "drizzle-orm";
import type { Db } from "../db/client";
import { formatUsd } from "../lib/money";
import { accounts, trendObjections, underRestriction, usageDaily } from "../db/schema";
import { one, all, exec } from "../db/tx";

export interface UsageRange {
  /** Inclusive UTC days, `YYYY-MM-DD`; omitted means unbounded. */
  from?: string;
  to?: string;
}

interface UsageTotals {
  requests: number;
  input_tokens: number;
  output_tokens: number;
  cached_input_tokens: number;
  errors: number;
  cost_micros: number;
  cost_usd: string;
}

type UsageGroup = UsageTotals & { day?: string; model?: string };

const totals = {
  requests: sum(usageDaily.requests),
  input_tokens: sum(usageDaily.inputTokens),
  output_tokens: sum(usageDaily.outputTokens),
  cached_input_tokens: sum(usageDaily.cachedInputTokens),
  errors: sum(usageDaily.errors),
  cost_micros: sum(usageDaily.costMicros),
};

function toTotals(r: Partial<Record<keyof typeof totals, string | number | null>>): UsageTotals {
  const n = (v: string | number | null | undefined) => Number(v ?? 0);
  const cost = n(r.cost_micros);
  return {
    requests: n(r.requests),
    input_tokens: n(r.input_tokens),
    output_tokens: n(r.output_tokens),
    cached_input_tokens: n(r.cached_input_tokens),
    errors: n(r.errors),
    cost_micros: cost,
    cost_usd: formatUsd(cost),
  };
}

const inRange = (range: UsageRange) => [
  range.from ? gte(usageDaily.day, range.from) : undefined,
  range.to ? lte(usageDaily.day, range.to) : undefined,
];

/** An account's usage from the daily aggregates: totals, or grouped by day or model. */
export async function accountUsage(db: Db, accountId: string, range: UsageRange): Promise<UsageTotals> {
  return toTotals(
    (await one(
      db
        .select(totals)
        .from(usageDaily)
        .where(and(eq(usageDaily.accountId, accountId), ...inRange(range))),
    )) ?? {},
  );
}

export async function accountUsageBy(
  db: Db,
  accountId: string,
  range: UsageRange,
  groupBy: "day" | "model",
): Promise<UsageGroup[]> {
  const col = groupBy === "day" ? usageDaily.day : usageDaily.model;
  return (
    await all(
      db
        .select({ ...totals, key: col })
        .from(usageDaily)
        .where(and(eq(usageDaily.accountId, accountId), ...inRange(range)))
        .groupBy(col)
        .orderBy(col),
    )
  ).map((r) => ({ [groupBy]: r.key, ...toTotals(r) }));
}

/**
 * Usage trends across all accounts, per day and model (Policy §11: non-identifying). Accounts that
 * objected (Art. 21) are left out entirely, and so are restricted ones (Art. 18: their data is
 * only stored).
 */
export async function usageTrends(
  db: Db,
  range: UsageRange,
): Promise<(UsageTotals & { day: string; model: string })[]> {
  const objected = db.select({ id: trendObjections.accountId }).from(trendObjections);
  const restricted = db.select({ id: accounts.id }).from(accounts).where(underRestriction);
  return (
    await all(
      db
        .select({ ...totals, day: usageDaily.day, model: usageDaily.model })
        .from(usageDaily)
        .where(
          and(
            notInArray(usageDaily.accountId, objected),
            notInArray(usageDaily.accountId, restricted),
            ...inRange(range),
          ),
        )
        .groupBy(usageDaily.day, usageDaily.model)
        .orderBy(usageDaily.day, usageDaily.model),
    )
  ).map((r) => ({ day: r.day, model: r.model, ...toTotals(r) }));
}

/** Record an objection to trend analytics; effective for every query from now on. */
export async function objectToTrends(db: Db, accountId: string, at: number): Promise<void> {
  await exec(db.insert(trendObjections).values({ accountId, at }).onConflictDoNothing());
}

export const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;
