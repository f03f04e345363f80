import { Database } from "bun:sqlite";
import { join } from "node:path";
import type { UsageEvent, UsageSink } from "../../src/usage/sink";

/** A usage event as the proxy records it; `i` makes the request id and varies the counts. */
export function usageEvent(i: number, over: Partial<UsageEvent> = {}): UsageEvent {
  return {
    requestId: `req_${String(i).padStart(6, "0")}`,
    at: Date.UTC(2026, 10, 27, 12, 0, i % 60),
    accountId: "acc_a",
    keyId: "key_a",
    clientIp: "203.0.113.77",
    model: "m",
    provider: "p",
    endpoint: "chat.completions",
    stream: true,
    status: 200,
    outcome: "ok",
    inputTokens: 100 + i,
    outputTokens: 10,
    cachedInputTokens: 0,
    estimated: false,
    latencyMs: 12.5,
    errorType: null,
    errorCode: null,
    ...over,
  };
}

/** Keeps the newest events in memory (bounded), so a test reads what the proxy recorded. */
export class MemoryUsageSink implements UsageSink {
  readonly events: UsageEvent[] = [];

  constructor(private readonly max = 10_000) {}

  record(event: UsageEvent): void {
    if (this.events.length >= this.max) this.events.shift();
    this.events.push(event);
  }
}

/** The stored usage row of one request, read straight from a stopped gateway's database; `columns` is the SELECT list. */
export function storedUsageRow(dataDir: string, requestId: string | null, columns: string): unknown {
  const db = new Database(join(dataDir, "kriora.db"));
  const row = db.query(`SELECT ${columns} FROM usage_events WHERE id = ?`).get(requestId);
  db.close();
  return row;
}
