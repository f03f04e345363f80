import type { Actor, AuditTrail } from "../audit/audit";
import type { Db } from "../db/client";
import type { Clock } from "../lib/clock";
import { requireLiveAccount } from "../accounts/accounts";
import { objectToTrends } from "../usage/query";
import { describeRequest, recordRequest, type RightsRequestInfo } from "./rights";
import { transaction } from "../db/tx";

/** What a person may object to (Policy §14, Art. 21): trend analytics (§11), or abuse detection (§5). */
export const OBJECTION_SCOPES = ["usage_trends", "abuse_detection"] as const;
export type ObjectionScope = (typeof OBJECTION_SCOPES)[number];

/**
 * Record an objection. Trend analytics rest on legitimate interest and have no overriding ground:
 * the account leaves every trend query at once and the request is done. Abuse detection protects
 * the service and other users, so that objection waits for an admin's decision
 * (`kriora privacy decide`), due like any request within a month.
 */
export async function objectToProcessing(
  deps: { db: Db; clock: Clock; audit: AuditTrail },
  accountId: string,
  scope: ObjectionScope,
  actor: Actor,
): Promise<RightsRequestInfo> {
  const row = await transaction(deps.db, async (tx) => {
    await requireLiveAccount(tx, accountId);
    const trends = scope === "usage_trends";
    // In the transaction: the objection commits with its ledger entry.
    if (trends) await objectToTrends(tx, accountId, deps.clock.now());
    const request = await recordRequest(deps, tx, { accountId, kind: "object", actor, scope, done: trends });
    await deps.audit.record(
      { actor, action: "account.object", target: accountId, details: { scope, request: request.id, decided: trends } },
      tx,
    );
    return request;
  });
  return describeRequest(row, deps.clock.now());
}
