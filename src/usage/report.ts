import type { Actor, AuditTrail } from "../audit/audit";
import type { Db } from "../db/client";
import { accountUsage, accountUsageBy, type UsageRange } from "./query";

interface UsageReportQuery extends UsageRange {
  group_by?: "day" | "model";
}

/** An account's usage from the daily aggregates: totals, optionally grouped by day or model. */
export async function usageReport(db: Db, accountId: string, query: UsageReportQuery) {
  const range = { from: query.from, to: query.to };
  return {
    account_id: accountId,
    from: query.from ?? null,
    to: query.to ?? null,
    totals: await accountUsage(db, accountId, range),
    ...(query.group_by ? { groups: await accountUsageBy(db, accountId, range, query.group_by) } : {}),
  };
}

/** Another account's usage, read by an admin: the read is audited. */
export async function usageReportAudited(
  deps: { db: Db; audit: AuditTrail },
  actor: Actor,
  accountId: string,
  query: UsageReportQuery,
) {
  await deps.audit.record({ actor, action: "usage.read", target: accountId });
  return usageReport(deps.db, accountId, query);
}
