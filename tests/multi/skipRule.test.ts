import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { filesBelow } from "../helpers/canaryScan";

const root = join(import.meta.dir, "../..");

/** Suites that need PostgreSQL and Redis (or PostgreSQL alone), run in their own `bun test` with both variables unset. */
function runWithoutServices(ci: boolean, extra: Record<string, string> = {}) {
  const run = Bun.spawnSync(
    [process.execPath, "test", "tests/multi/keys.test.ts", "tests/multi/erasure.test.ts", "tests/db/pgHelper.test.ts"],
    {
      cwd: root,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? root, ...(ci ? { CI: "true" } : {}), ...extra },
    },
  );
  return { code: run.exitCode, out: run.stdout.toString() + run.stderr.toString() };
}

describe("PostgreSQL+Redis suites without KRIORA_TEST_DATABASE_URL / KRIORA_TEST_REDIS_URL", () => {
  test("locally: skipped, with one line naming both variables", () => {
    const run = runWithoutServices(false);
    expect(run.code).toBe(0);
    expect(
      run.out.match(/PostgreSQL\+Redis suites skipped: KRIORA_TEST_DATABASE_URL and KRIORA_TEST_REDIS_URL unset/g),
    ).toHaveLength(1);
    expect(run.out).toMatch(/\b0 fail\b/);
  }, 30_000);

  test("under CI=true: a failure, never a skip", () => {
    const run = runWithoutServices(true);
    expect(run.code).not.toBe(0);
    expect(run.out).toContain("unset under CI: the PostgreSQL+Redis suites must run");
  }, 30_000);

  test("under CI=true in .ci/run's SQLite pass (KRIORA_TEST_SQLITE_PASS=1, after its PostgreSQL+Redis pass): skipped, with the line", () => {
    const run = runWithoutServices(true, { KRIORA_TEST_SQLITE_PASS: "1" });
    expect(run.code).toBe(0);
    expect(run.out.match(/PostgreSQL\+Redis suites skipped/g)).toHaveLength(1);
  }, 30_000);
});

test("every suite gated on KRIORA_TEST_DATABASE_URL or KRIORA_TEST_REDIS_URL skips through skipWithout (so never silently)", () => {
  const silent = filesBelow(join(root, "tests"))
    .filter((file) => file.endsWith(".ts") && !file.startsWith("helpers/"))
    .filter((file) =>
      /skipIf\(\s*!\s*(testDatabaseUrl|testRedisUrl|TEST_DATABASE_URL|TEST_REDIS_URL|process\.env\.KRIORA_TEST_)|(testDatabaseUrl|testRedisUrl|TEST_DATABASE_URL|TEST_REDIS_URL)\s*\?\s*(describe|test)\b/.test(
        readFileSync(join(root, "tests", file), "utf8"),
      ),
    );
  expect(silent).toEqual([]);
});
