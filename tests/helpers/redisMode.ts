import { RedisClient } from "bun";

/** The shared Redis of the Redis-mode suites (`KRIORA_TEST_REDIS_URL`); unset → in-process only. `.ci/run` sets it. */
export const testRedisUrl = process.env.KRIORA_TEST_REDIS_URL ?? "";

/** A key prefix no other test file, env or run uses. */
export const uniquePrefix = (name: string) => `kriora_t_${name}_${crypto.randomUUID().slice(0, 8)}:`;

/** Every key under `prefix`, a SCAN batch at a time. */
export async function scanKeys(
  client: RedisClient,
  prefix: string,
  each: (keys: string[]) => Promise<unknown>,
): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = (await client.send("SCAN", [cursor, "MATCH", `${prefix}*`, "COUNT", "1000"])) as [
      string,
      string[],
    ];
    cursor = next;
    if (keys.length > 0) await each(keys);
  } while (cursor !== "0");
}

/** Delete every key under `prefix`. */
export async function dropPrefix(url: string, prefix: string): Promise<void> {
  const client = new RedisClient(url);
  await scanKeys(client, prefix, (keys) => client.send("DEL", keys));
  client.close();
}

/**
 * In Redis mode, the `KRIORA_*` overrides that put one test env on the test Redis under its own
 * prefix, and `drop` to delete its keys after; outside it, nothing.
 */
export function redisModeEnv(): { env: Record<string, string>; drop(): Promise<void> } {
  if (!testRedisUrl) return { env: {}, drop: async () => {} };
  const prefix = uniquePrefix("env");
  return {
    env: { KRIORA_REDIS_URL: testRedisUrl, KRIORA_REDIS_PREFIX: prefix },
    drop: () => dropPrefix(testRedisUrl, prefix),
  };
}
