import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { freePort } from "../helpers/privateServers";
import { testDatabaseUrl } from "../helpers/pg";
import { testRedisUrl } from "../helpers/redisMode";
import { skipWithout } from "../helpers/services";

const script = join(import.meta.dir, "../../scripts/ciServices.ts");

/** `.ci/run`'s check that PostgreSQL and Redis answer before the suites that need them run. */
function check(env: Record<string, string>) {
  const run = Bun.spawnSync([process.execPath, script], { env: { PATH: process.env.PATH ?? "", ...env } });
  return { code: run.exitCode, out: run.stdout.toString() + run.stderr.toString() };
}

describe("scripts/ciServices.ts (run by .ci/run before npm test)", () => {
  test("a server that does not answer stops CI with its variable and address, never the password in its URL", () => {
    const [pg, redis] = [freePort(), freePort()];
    const run = check({
      KRIORA_TEST_DATABASE_URL: `postgres://kriora:hunter2-secret@127.0.0.1:${pg}/test`,
      KRIORA_TEST_REDIS_URL: `redis://:hunter2-secret@127.0.0.1:${redis}`,
    });
    expect(run.code).toBe(1);
    expect(run.out).toContain(`PostgreSQL at 127.0.0.1:${pg} (KRIORA_TEST_DATABASE_URL) is unreachable`);
    expect(run.out).toContain(`Redis at 127.0.0.1:${redis} (KRIORA_TEST_REDIS_URL) is unreachable`);
    expect(run.out).not.toContain("hunter2");
  }, 30_000);

  test("an unset variable stops CI too", () => {
    const run = check({});
    expect(run.code).toBe(1);
    expect(run.out).toContain("KRIORA_TEST_DATABASE_URL is not set");
    expect(run.out).toContain("KRIORA_TEST_REDIS_URL is not set");
  }, 30_000);

  test.skipIf(skipWithout("postgres", "redis"))(
    "the servers named by the environment answer: CI goes on",
    () => {
      const run = check({ KRIORA_TEST_DATABASE_URL: testDatabaseUrl ?? "", KRIORA_TEST_REDIS_URL: testRedisUrl });
      expect(run.out).toContain("reachable");
      expect(run.code).toBe(0);
    },
    30_000,
  );
});
