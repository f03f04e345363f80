import type { AuditTrail } from "../audit/audit";
import type { Config } from "../config/schema";
import type { FieldCipher } from "../crypto/fields";
import type { Db } from "../db/client";
import type { Clock } from "../lib/clock";
import type { Logger } from "../lib/log";
import { memoizedIndex } from "../crypto/memoIndex";
import { createAbuseControls, type AbuseControls } from "../limits/abuse";
import { createMemoryLimiter, type Limiter } from "../limits/limiter";
import { createGatewayMetrics, type GatewayMetrics } from "../metrics/gateway";
import { priceList } from "./cost";
import { createSpendTracker, type SpendTracker } from "./spend";
import { createUsageWriter, type UsageBatchHook, type UsageWriter } from "./writer";

export interface Metering {
  metrics: GatewayMetrics;
  limiter: Limiter;
  abuse: AbuseControls;
  spend: SpendTracker;
  usage: UsageWriter;
}

/**
 * Metering, limits and abuse controls, wired once per process. `billing.onUsageBatch` (prepaid
 * debits, the metered outbox) is written in the same transaction as each batch of usage rows.
 */
export function createMetering(p: {
  config: Readonly<Config>;
  db: Db;
  cipher: FieldCipher;
  audit: AuditTrail;
  clock: Clock;
  log: Logger;
  billing?: { onUsageBatch?: UsageBatchHook };
}): Metering {
  const pricesFor = priceList(p.config.models);
  const metrics = createGatewayMetrics();
  const spend = createSpendTracker(p.db);
  return {
    metrics,
    spend,
    limiter: createMemoryLimiter(p.clock),
    abuse: createAbuseControls(p.db, p.audit, p.clock, p.log, memoizedIndex((address) => p.cipher.blindIndex("address", address))),
    usage: createUsageWriter({
      db: p.db,
      cipher: p.cipher,
      log: p.log,
      metrics,
      spend,
      pricesFor,
      onBatch: p.billing?.onUsageBatch,
    }),
  };
}
