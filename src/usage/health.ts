import { and, avg, count, desc, eq, gte, isNotNull, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { usageEvents } from "../db/schema";
import { one } from "../db/tx";

interface ProviderHealth {
  requests: number;
  success_rate: number | null;
  avg_latency_ms: number | null;
  /** The error class (type) of the latest failed request, never its message. */
  last_error: string | null;
}

/**
 * A provider's recent health from the usage rows' metadata alone (status, latency, error type):
 * nothing about any request's content exists to be shown.
 */
export async function providerHealth(db: Db, provider: string, since: number): Promise<ProviderHealth> {
  const recent = and(eq(usageEvents.provider, provider), gte(usageEvents.at, since));
  const row = await one(
    db
      .select({
        n: count(),
        ok: sql<number>`sum(case when ${usageEvents.status} < 400 then 1 else 0 end)`,
        latency: avg(usageEvents.latencyMs),
      })
      .from(usageEvents)
      .where(recent),
  );
  const failed = await one(
    db
      .select({ type: usageEvents.errorType })
      .from(usageEvents)
      .where(and(recent, isNotNull(usageEvents.errorType), gte(usageEvents.status, 400)))
      .orderBy(desc(usageEvents.at))
      .limit(1),
  );
  const n = row?.n ?? 0;
  return {
    requests: n,
    success_rate: n === 0 ? null : Number(row?.ok ?? 0) / n,
    avg_latency_ms: row?.latency === null || row?.latency === undefined ? null : Math.round(Number(row.latency)),
    last_error: failed?.type ?? null,
  };
}
