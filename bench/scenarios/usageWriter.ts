import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createAccount } from "../../src/accounts/accounts";
import { loadConfig } from "../../src/config/load";
import { openDeps } from "../../src/deps";
import { silentLogger } from "../../src/lib/log";
import type { UsageEvent } from "../../src/usage/sink";
import { configToml } from "../gateway";
import { MODEL } from "../shape";

export interface UsageWriterResult {
  rows: number;
  batch: number;
  /** Rows per second through record() and flush() together, as the server runs them. */
  rowsPerSecond: number;
  /** Rows per second of the flushes alone (SQLite transaction with the daily aggregates). */
  flushRowsPerSecond: number;
  /** What one request pays on its own path: record() (row, IP encryption, cost, spend, metrics), µs. */
  recordMicros: number;
  /** The longest single flush() of a whole batch, ms (what shutdown does; the server drains in slices). */
  maxFlushMs: number;
  /** The longest the event loop was held while the writer's own timer drained a batch, slice by slice, as the server runs it, ms. */
  longestHoldMs: number;
  /** Rows found in usage_events afterwards (must equal `rows`). */
  written: number;
}

const ACCOUNTS = 50;

function event(i: number, at: number, accounts: string[]): UsageEvent {
  return {
    requestId: `req_bench_${i}`,
    at,
    accountId: accounts[i % ACCOUNTS]!,
    keyId: `key_bench_${i % ACCOUNTS}`,
    clientIp: `10.0.${(i >> 8) & 255}.${i & 255}`,
    model: MODEL,
    provider: "bench",
    endpoint: "chat.completions",
    stream: i % 2 === 0,
    status: 200,
    outcome: "ok",
    inputTokens: 57,
    outputTokens: 212,
    cachedInputTokens: 0,
    estimated: false,
    latencyMs: 3,
    errorType: null,
    errorCode: null,
  };
}

/**
 * Scenario 6: the metering issue's usage writer, in-process, exactly as `openDeps` wires it
 * (IP encryption under each account's data key, prices, spend tracking, metrics, daily aggregates):
 * `rows` rows of 50 real accounts recorded and flushed in batches of `batch` (the writer's own
 * flush size), record and flush timed apart.
 */
export async function usageWriterScenario(dir: string, rows: number, batch: number): Promise<UsageWriterResult> {
  const file = join(dir, "writer.toml");
  writeFileSync(file, configToml("http://127.0.0.1:9"));
  const deps = await openDeps(loadConfig({ file, dataDir: join(dir, "writer-data"), env: {} }), { log: silentLogger });
  const writer = deps.usageWriter;
  const accounts: string[] = [];
  for (let i = 0; i < ACCOUNTS; i++)
    accounts.push((await createAccount(deps, { email: `bench${i}@example.com` }, "cli")).id);
  let recording = 0;
  let flushing = 0;
  let maxFlushMs = 0;
  try {
    for (let i = 0; i < rows; i += batch) {
      const events = Array.from({ length: Math.min(batch, rows - i) }, (_, j) => event(i + j, Date.now(), accounts));
      const t0 = performance.now();
      for (const e of events) writer.record(e);
      const t1 = performance.now();
      await writer.flush();
      const t2 = performance.now();
      recording += t1 - t0;
      flushing += t2 - t1;
      maxFlushMs = Math.max(maxFlushMs, t2 - t1);
    }
    const written = deps.handle.sqlite.query<{ n: number }, []>("SELECT count(*) AS n FROM usage_events").get()!.n;
    const longestHoldMs = await longestHold(writer, batch, rows, accounts);
    return {
      rows,
      batch,
      rowsPerSecond: rows / ((recording + flushing) / 1000),
      flushRowsPerSecond: rows / (flushing / 1000),
      recordMicros: (recording * 1000) / rows,
      maxFlushMs,
      longestHoldMs,
      written,
    };
  } finally {
    await writer.close();
    deps.handle.close();
  }
}

/**
 * `batch` rows recorded at once, then drained by the writer's own timer while a chain of
 * zero-delay timers measures the longest gap between two turns of the event loop: how long a
 * request arriving meanwhile could wait (an upper bound: it includes the timer's own delay).
 */
async function longestHold(
  writer: { record(e: UsageEvent): void; pending(): number },
  batch: number,
  from: number,
  accounts: string[],
) {
  for (let j = 0; j < batch; j++) writer.record(event(from + j, Date.now(), accounts));
  let longest = 0;
  let last = performance.now();
  while (writer.pending() > 0) {
    await new Promise((resolve) => setTimeout(resolve, 0));
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }
  return longest;
}
