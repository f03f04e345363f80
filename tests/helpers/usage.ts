import { eq } from "drizzle-orm";
import { usageEvents } from "../../src/db/schema";
import { one } from "../../src/db/tx";
import { openDataDir } from "./deps";
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

/** The stored usage row of one request, read from a stopped gateway's database (its SQLite file or PostgreSQL schema). */
export async function storedUsageRow(
  dataDir: string,
  requestId: string | null,
): Promise<typeof usageEvents.$inferSelect | undefined> {
  const handle = await openDataDir(dataDir);
  try {
    return await one(
      handle.db
        .select()
        .from(usageEvents)
        .where(eq(usageEvents.id, requestId ?? "")),
    );
  } finally {
    await handle.close();
  }
}
