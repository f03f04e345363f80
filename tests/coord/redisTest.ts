import { RedisClient } from "bun";
import { createMemoryCoordination } from "../../src/coord/memory";
import type { Coordination } from "../../src/coord/port";
import { createRedisCoordination } from "../../src/coord/redis";
import type { Clock } from "../../src/lib/clock";
import { captureLog } from "../helpers/deps";

/** The shared Redis of the Redis-mode suites (`KRIORA_TEST_REDIS_URL`); unset → in-process only. */
export const testRedisUrl = process.env.KRIORA_TEST_REDIS_URL ?? "";

/** A key prefix no other test file or run uses. */
export const uniquePrefix = (name: string) => `kriora_t_${name}_${crypto.randomUUID().slice(0, 8)}:`;

/** Delete every key under `prefix` (afterAll of each Redis-mode file). */
export async function dropPrefix(url: string, prefix: string): Promise<void> {
  const client = new RedisClient(url);
  let cursor = "0";
  do {
    const [next, keys] = (await client.send("SCAN", [cursor, "MATCH", `${prefix}*`, "COUNT", "1000"])) as [
      string,
      string[],
    ];
    cursor = next;
    if (keys.length > 0) await client.send("DEL", keys);
  } while (cursor !== "0");
  client.close();
}

/** A clock the test moves by hand. */
export function manualClock(start = Date.UTC(2026, 0, 15)): Clock & { advance(ms: number): void } {
  let now = start;
  return { now: () => now, advance: (ms) => void (now += ms) };
}

export interface Implementation {
  name: "memory" | "redis";
  /** A new instance of the port; with Redis, every instance of one test shares its prefix. */
  open(clock: Clock, prefix: string, opts?: { instances?: number; lockMs?: number; url?: string }): Coordination;
}

const log = captureLog();

export const IMPLEMENTATIONS: Implementation[] = [
  { name: "memory", open: (clock) => createMemoryCoordination(clock) },
  ...(testRedisUrl
    ? [
        {
          name: "redis" as const,
          open: (clock: Clock, prefix: string, opts: { instances?: number; lockMs?: number; url?: string } = {}) =>
            createRedisCoordination({
              url: opts.url ?? testRedisUrl,
              prefix,
              clock,
              log,
              instances: opts.instances ?? 1,
              lockMs: opts.lockMs,
            }),
        },
      ]
    : []),
];
