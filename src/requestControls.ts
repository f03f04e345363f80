import type { AuditTrail } from "./audit/audit";
import type { Config } from "./config/schema";
import type { Coordination } from "./coord/port";
import type { FieldCipher } from "./crypto/fields";
import { memoizedIndex } from "./crypto/memoIndex";
import type { Db } from "./db/client";
import type { DataKeys } from "./db/dataKeys";
import type { Clock } from "./lib/clock";
import type { Logger } from "./lib/log";
import { createAbuseControls, type AbuseControls } from "./limits/abuse";
import { createGatewayMetrics, type GatewayMetrics } from "./metrics/gateway";
import { priceList } from "./usage/cost";
import { createSpendTracker, type SpendTracker } from "./usage/spend";
import { createUsageWriter, type UsageBatchHook, type UsageWriter } from "./usage/writer";

/** What each proxied request passes through: metrics, rate limits, abuse controls, spend caps and the usage writer. */
export interface RequestControls {
  metrics: GatewayMetrics;
  /** Shared state of the instances (limits, spend, wallets, abuse windows, feed, leader lock): memory or Redis. */
  coord: Coordination;
  abuse: AbuseControls;
  spend: SpendTracker;
  /** The batched database writer of usage rows (the one path to flush or close it). */
  usageWriter: UsageWriter;
}

/**
 * The request controls, wired once per process. `billing.onUsageBatch` (prepaid
 * debits, the metered outbox) is written in the same transaction as each batch of usage rows.
 */
export async function createRequestControls(p: {
  config: Readonly<Config>;
  db: Db;
  cipher: FieldCipher;
  dataKeys: DataKeys;
  audit: AuditTrail;
  clock: Clock;
  log: Logger;
  coord: Coordination;
  billing?: { onUsageBatch?: UsageBatchHook; settle?: (accountId: string, requestId: string, micros: number) => void };
}): Promise<RequestControls> {
  const pricesFor = priceList(p.config.models);
  const metrics = createGatewayMetrics();
  const spend = createSpendTracker(p.db, p.coord.spend);
  return {
    metrics,
    spend,
    coord: p.coord,
    abuse: await createAbuseControls(
      p.db,
      p.audit,
      p.clock,
      p.log,
      memoizedIndex((address) => p.cipher.blindIndex("address", address)),
      p.coord,
    ),
    usageWriter: createUsageWriter({
      db: p.db,
      dataKeys: p.dataKeys,
      log: p.log,
      metrics,
      spend,
      pricesFor,
      onBatch: p.billing?.onUsageBatch,
      onRecord: p.billing?.settle,
    }),
  };
}
