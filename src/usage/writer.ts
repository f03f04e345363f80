import { sql } from "drizzle-orm";
import type { DataKey } from "../crypto/dataKeys";
import { DecryptError } from "../crypto/fields";
import type { Db } from "../db/client";
import type { DataKeys } from "../db/dataKeys";
import type { Tx } from "../db/tx";
import { usageDaily, usageEvents } from "../db/schema";
import { errorKind, type Logger } from "../lib/log";
import type { GatewayMetrics } from "../metrics/gateway";
import { costMicros, type TokenPrices } from "./cost";
import type { UsageEvent, UsageSink } from "./sink";
import type { SpendTracker } from "./spend";
import { iso } from "../lib/clock";
import { preparedWrite, transaction } from "../db/tx";

export interface UsageWriter extends UsageSink {
  /** Write everything queued, in one transaction. */
  flush(): Promise<void>;
  /** Stop the timer and flush what is left (called on SIGTERM/SIGINT). */
  close(): Promise<void>;
  pending(): number;
}

interface WriterOptions {
  db: Db;
  /** The client address is encrypted under its account's data key (cached in memory after the first row). */
  dataKeys: Pick<DataKeys, "get">;
  log: Logger;
  metrics: GatewayMetrics;
  spend: SpendTracker;
  /** A configured model's prices; undefined for anything else, which is recorded as `unknown`. */
  pricesFor(model: string): TokenPrices | undefined;
  /** Flush at most this long after a row is queued. */
  intervalMs?: number;
  /** Flush at once when this many rows are queued. */
  batchRows?: number;
  /** Beyond this many unwritten rows (a database that keeps failing) the oldest are dropped and counted. */
  maxQueue?: number;
  /** Billing's share of each flush (see UsageBatchHook). */
  onBatch?: UsageBatchHook;
  /** Billing's share of each record, before any flush: the request's cost (prepaid wallets). */
  onRecord?: (accountId: string, requestId: string, costMicros: number) => void;
}

export type UsageRow = typeof usageEvents.$inferInsert;

/** Where a usage row's encrypted address lives: the associated data that binds it to its row. */
export const usageIpLocation = (rowId: string) => ({ table: "usage_events", column: "ip", rowId });
type Row = UsageRow;

/**
 * Called inside each flush transaction after its rows are inserted, so what it writes (billing
 * debits, the meter outbox) commits or rolls back together with the usage rows.
 */
export type UsageBatchHook = (tx: Tx, rows: readonly UsageRow[]) => Promise<void>;

/**
 * Rows per transaction when the timer drains the queue (~2.7 ms of the loop at ~10 µs a row).
 * 32-row slices were tried: the p99 at one connection did not move (it is not set by the writer,
 * see bench/README.md), and each slice is a transaction, which `--workers` processes on one SQLite
 * file contend for.
 */
const SLICE_ROWS = 256;

/** The model recorded for a request that named no configured model. */
const UNKNOWN_MODEL = "unknown";

interface Queued {
  e: UsageEvent;
  costMicros: number;
}

/**
 * The batched usage writer: `record` only queues (the request path pays for an array push and
 * the cost arithmetic); a timer writes the queue in transactions of at most SLICE_ROWS rows — the rows and
 * their daily aggregates together, so a crash leaves either both or neither. A `kill -9` loses at
 * most the rows queued since the last flush (≤ intervalMs of traffic); nothing is half-written.
 */
export function createUsageWriter(o: WriterOptions): UsageWriter {
  const intervalMs = o.intervalMs ?? 100;
  const batchRows = o.batchRows ?? 1000;
  const maxQueue = o.maxQueue ?? 200_000;
  let queue: Queued[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  /** When the pending timer fires (performance.now()); a sooner flush replaces it. */
  let timerAt = 0;
  let alerting = false;

  // The timer writes at most SLICE_ROWS per transaction and lets requests run between slices, so
  // a burst's flush never holds the event loop for long.
  const schedule = (ms: number) => {
    const at = performance.now() + ms;
    if (timer) {
      if (timerAt <= at) return;
      clearTimeout(timer);
    }
    timerAt = at;
    timer = setTimeout(async () => {
      timer = undefined;
      await writeSlice(SLICE_ROWS);
      if (queue.length > 0) schedule(0);
    }, ms);
    timer.unref?.();
  };

  // Slices are written one after another: a flush (or close) returns only once the slice the
  // timer started has committed too.
  let writing: Promise<void> = Promise.resolve();
  const writeSlice = (limit: number) => {
    writing = writing.catch(() => undefined).then(() => writeSliceNow(limit));
    return writing;
  };
  async function writeSliceNow(limit: number) {
    if (queue.length === 0) return;
    const batch = queue.splice(0, limit);
    const started = performance.now();
    try {
      const keys = await keysOf(batch);
      await writeBatch(
        o.db,
        batch.map((q) => toRow(q, keys)),
        o.onBatch,
      );
      o.metrics.writerFlushSeconds.observe((performance.now() - started) / 1000);
      if (alerting) o.log.warn("usage_writer_recovered", { rows: batch.length });
      alerting = false;
    } catch (err) {
      queue = batch.concat(queue);
      o.metrics.writerFailures.inc();
      if (!alerting)
        o.log.error("usage_writer_failed", { kind: errorKind(err), code: sqliteCode(err), queued: queue.length });
      alerting = true;
      schedule(Math.max(intervalMs, 1000));
    }
    o.metrics.writerQueueDepth.set(queue.length);
  }

  // Runs at flush time, off the request path: the addresses are encrypted here, each under its
  // account's data key (served from memory after the first row). An account without a key has
  // been erased (its key destroyed) while the request ran: its address is not kept. A key that
  // cannot be unwrapped (a master key this process lacks) costs the address, never the row: usage
  // is what billing counts.
  let keyTrouble = false;
  const keysOf = async (batch: Queued[]) => {
    const keys = new Map<string, DataKey | null>();
    for (const { e } of batch) {
      if (!e.clientIp || keys.has(e.accountId)) continue;
      try {
        keys.set(e.accountId, await o.dataKeys.get(o.db, e.accountId));
      } catch (err) {
        if (!(err instanceof DecryptError)) throw err;
        if (!keyTrouble) o.log.warn("usage_ip_key_unavailable", { kind: errorKind(err), account: e.accountId });
        keyTrouble = true;
        keys.set(e.accountId, null);
      }
    }
    return keys;
  };
  const toRow = ({ e, costMicros }: Queued, keys: Map<string, DataKey | null>): Row => ({
    id: e.requestId,
    at: e.at,
    accountId: e.accountId,
    keyId: e.keyId,
    ipEnc: e.clientIp ? (keys.get(e.accountId)?.encrypt(e.clientIp, usageIpLocation(e.requestId)) ?? null) : null,
    model: e.model,
    provider: e.provider,
    endpoint: e.endpoint,
    stream: e.stream,
    status: e.status,
    outcome: e.outcome,
    inputTokens: e.inputTokens,
    outputTokens: e.outputTokens,
    cachedInputTokens: e.cachedInputTokens,
    estimated: e.estimated,
    costMicros,
    latencyMs: Math.round(e.latencyMs),
    errorType: e.errorType,
    errorCode: e.errorCode,
  });

  const writer: UsageWriter = {
    record(event) {
      // Only configured model ids reach rows, aggregates and labels: a client's model string can be
      // anything (an email address, thousands of random names), so it is never stored as given.
      const prices = o.pricesFor(event.model);
      const e = prices ? event : { ...event, model: UNKNOWN_MODEL };
      const cost = prices ? costMicros(e, prices) : 0;
      queue.push({ e, costMicros: cost });
      // A refused request spent nothing and holds nothing (admission gave back what it reserved):
      // no shared counter to touch, which keeps a Redis outage's refusals out of its replay queue.
      if (e.outcome !== "refused") {
        o.spend.add(e.accountId, e.keyId, e.at, cost, e.requestId);
        o.onRecord?.(e.accountId, e.requestId, cost);
      }
      const labels = { model: e.model, provider: e.provider ?? "none" };
      o.metrics.requests.inc({ ...labels, status: String(e.status) });
      o.metrics.latency.observe(e.latencyMs / 1000, labels);
      o.metrics.inputTokens.inc(labels, e.inputTokens);
      o.metrics.outputTokens.inc(labels, e.outputTokens);
      if (e.outcome === "upstream_error" || e.outcome === "timeout")
        o.metrics.upstreamErrors.inc({ provider: labels.provider, status: String(e.status) });
      if (queue.length > maxQueue) queue.splice(0, queue.length - maxQueue);
      o.metrics.writerQueueDepth.set(queue.length);
      schedule(queue.length >= batchRows ? 0 : intervalMs);
    },
    async flush() {
      await writeSlice(queue.length);
    },
    async close() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      await writer.flush();
    },
    pending: () => queue.length,
  };
  return writer;
}

/** The daily aggregate adds a batch's totals to what is stored (both engines accept `excluded`). */
const addToDay = (col: string) => sql.raw(`usage_daily.${col} + excluded.${col}`);

const placeholders = (columns: readonly string[]) => Object.fromEntries(columns.map((c) => [c, sql.placeholder(c)]));

// One row per statement, each statement built once (see preparedWrite): building a multi-row
// INSERT for every flush cost more than the writes themselves.
const insertEvent = preparedWrite((tx) =>
  tx
    .insert(usageEvents)
    .values(placeholders(EVENT_COLUMNS) as unknown as Row)
    .onConflictDoNothing(),
);
const upsertDay = preparedWrite((tx) =>
  tx
    .insert(usageDaily)
    .values(placeholders(DAILY_COLUMNS) as unknown as DailyRow)
    .onConflictDoUpdate({
      target: [usageDaily.day, usageDaily.accountId, usageDaily.model],
      set: {
        requests: addToDay("requests"),
        inputTokens: addToDay("input_tokens"),
        outputTokens: addToDay("output_tokens"),
        cachedInputTokens: addToDay("cached_input_tokens"),
        costMicros: addToDay("cost_micros"),
        errors: addToDay("errors"),
      },
    }),
);

type DailyRow = typeof usageDaily.$inferInsert;
const EVENT_COLUMNS = [
  "id",
  "at",
  "accountId",
  "keyId",
  "ipEnc",
  "model",
  "provider",
  "endpoint",
  "stream",
  "status",
  "outcome",
  "inputTokens",
  "outputTokens",
  "cachedInputTokens",
  "estimated",
  "costMicros",
  "latencyMs",
  "errorType",
  "errorCode",
] as const satisfies readonly (keyof Row)[];
const DAILY_COLUMNS = [
  "day",
  "accountId",
  "model",
  "requests",
  "inputTokens",
  "outputTokens",
  "cachedInputTokens",
  "costMicros",
  "errors",
] as const satisfies readonly (keyof DailyRow)[];

async function writeBatch(db: Db, rows: Row[], onBatch: UsageBatchHook | undefined) {
  const daily = new Map<string, Required<DailyRow>>();
  for (const r of rows) {
    const day = iso(r.at).slice(0, 10);
    const k = `${day}\u0000${r.accountId}\u0000${r.model}`;
    let d = daily.get(k);
    if (!d) {
      d = {
        day,
        accountId: r.accountId,
        model: r.model,
        requests: 0,
        inputTokens: 0,
        outputTokens: 0,
        cachedInputTokens: 0,
        costMicros: 0,
        errors: 0,
      };
      daily.set(k, d);
    }
    d.requests++;
    d.inputTokens += r.inputTokens;
    d.outputTokens += r.outputTokens;
    d.cachedInputTokens += r.cachedInputTokens ?? 0;
    d.costMicros += r.costMicros;
    if (r.outcome !== "ok") d.errors++;
  }
  await transaction(db, async (tx) => {
    for (const r of rows) await insertEvent(tx, { ...r, stream: r.stream ? 1 : 0, estimated: r.estimated ? 1 : 0 });
    for (const d of daily.values()) await upsertDay(tx, d);
    await onBatch?.(tx, rows);
  });
}

function sqliteCode(err: unknown): string | null {
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" ? code : null;
}
