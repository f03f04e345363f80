import { createMemoryCoordination } from "../../src/coord/memory";
import type { Coordination } from "../../src/coord/port";
import { createRedisCoordination } from "../../src/coord/redis";
import type { Clock } from "../../src/lib/clock";
import { captureLog } from "../helpers/deps";

export { dropPrefix, testRedisUrl, uniquePrefix } from "../helpers/redisMode";
import { testRedisUrl } from "../helpers/redisMode";
import { skipWithout } from "../helpers/services";

/** A clock the test moves by hand. */
export function manualClock(start = Date.UTC(2026, 0, 15)): Clock & { advance(ms: number): void } {
  let now = start;
  return { now: () => now, advance: (ms) => void (now += ms) };
}

export interface Implementation {
  name: "memory" | "redis";
  /** A new instance of the port; with Redis, every instance of one test shares its prefix. */
  open(
    clock: Clock,
    prefix: string,
    opts?: { instances?: number; lockMs?: number; leaseMs?: number; url?: string },
  ): Coordination;
}

const log = captureLog();

export const IMPLEMENTATIONS: Implementation[] = [
  { name: "memory", open: (clock) => createMemoryCoordination(clock) },
  // The Redis implementation runs when KRIORA_TEST_REDIS_URL is set (one skip line otherwise, a failure under CI).
  ...(!skipWithout("redis")
    ? [
        {
          name: "redis" as const,
          open: (
            clock: Clock,
            prefix: string,
            opts: { instances?: number; lockMs?: number; leaseMs?: number; url?: string } = {},
          ) =>
            createRedisCoordination({
              url: opts.url ?? testRedisUrl,
              prefix,
              clock,
              log,
              instances: opts.instances ?? 1,
              lockMs: opts.lockMs,
              leaseMs: opts.leaseMs,
            }),
        },
      ]
    : []),
];
