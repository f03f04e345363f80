import { describe } from "bun:test";
import { RedisClient } from "bun";
import { testDatabaseUrl } from "./pg";
import { scanKeys, testRedisUrl } from "./redisMode";

/**
 * The shared PostgreSQL and Redis of this machine, named by the environment (`.ci/run` sets both):
 * `KRIORA_TEST_DATABASE_URL` (e.g. `postgres://postgres@127.0.0.1:5432/test`) and
 * `KRIORA_TEST_REDIS_URL` (e.g. `redis://127.0.0.1:6379`). Unset → SQLite and in-process only.
 */

const VARIABLES = { postgres: "KRIORA_TEST_DATABASE_URL", redis: "KRIORA_TEST_REDIS_URL" } as const;
const URLS = { postgres: testDatabaseUrl ?? "", redis: testRedisUrl };
type Service = keyof typeof VARIABLES;

/**
 * Whether a suite that needs `services` must be skipped: it must when one of their variables is
 * unset. A skip prints one line per test run naming every unset variable — except under CI
 * (`CI=true`), where it throws: the PostgreSQL and Redis suites must never skip silently in CI.
 * `.ci/run`'s second pass, on SQLite alone (`KRIORA_TEST_SQLITE_PASS=1`), skips them on purpose:
 * its first pass ran them.
 * `describe.skipIf(skipWithout("postgres"))(…)`.
 */
export function skipWithout(...services: Service[]): boolean {
  if (services.every((s) => URLS[s])) return false;
  const unset = (Object.keys(VARIABLES) as Service[])
    .filter((s) => !URLS[s])
    .map((s) => VARIABLES[s])
    .join(" and ");
  if (process.env.CI === "true" && process.env.KRIORA_TEST_SQLITE_PASS !== "1")
    throw new Error(`${unset} unset under CI: the PostgreSQL+Redis suites must run`);
  if (!toldSkipped)
    console.log(
      `PostgreSQL+Redis suites skipped: ${unset} unset (.ci/run sets them; see README, Running several instances)`,
    );
  toldSkipped = true;
  return true;
}

/** One skip line per test run, however many suites it holds. */
let toldSkipped = false;

/** A suite of several instances, their faults or a zero-retention scan: it needs PostgreSQL and Redis. */
export function describeWithServices(title: string, body: () => void): void {
  describe.skipIf(skipWithout("postgres", "redis"))(title, body);
}

/**
 * Every key under `prefix` with its value(s), read by type (strings, hashes, lists, sets, sorted
 * sets, streams) as text: a scan of what Redis holds. (An RDB file would not do: it compresses
 * long strings.)
 */
export async function redisContents(url: string, prefix: string): Promise<string> {
  const client = new RedisClient(url);
  const parts: string[] = [];
  await scanKeys(client, prefix, async (keys) => {
    for (const key of keys) {
      const type = (await client.send("TYPE", [key])) as string;
      const read: Record<string, [string, string[]]> = {
        string: ["GET", [key]],
        hash: ["HGETALL", [key]],
        list: ["LRANGE", [key, "0", "-1"]],
        set: ["SMEMBERS", [key]],
        zset: ["ZRANGE", [key, "0", "-1", "WITHSCORES"]],
        stream: ["XRANGE", [key, "-", "+"]],
      };
      const command = read[type];
      parts.push(key, command ? JSON.stringify(await client.send(command[0], command[1])) : `(${type})`);
    }
  });
  client.close();
  return parts.join("\n");
}
