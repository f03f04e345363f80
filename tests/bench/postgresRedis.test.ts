import { skipWithout } from "../helpers/services";
import { describe, expect, test } from "bun:test";
import { RedisClient, SQL } from "bun";
import { openBackends } from "../../bench/backends";
import { postgresRedisGoal } from "../../bench/report";
import { PG, PG_ONLY, type PostgresRedisRun } from "../../bench/scenarios/postgresRedis";
import { testDatabaseUrl } from "../helpers/pg";
import { testRedisUrl } from "../helpers/redisMode";

/** A finished run whose p50s (ms) are direct 0.02, SQLite `sqlite`, PostgreSQL + Redis `pg`. */
function run(sqlite: number, pg: number): PostgresRedisRun {
  const at = (p50: number) => ({ p50, p99: p50 * 3, n: 10, errors: 0 });
  return {
    latency: { seconds: 1, byTarget: { direct: at(0.02), kriora: at(sqlite), [PG_ONLY]: at(sqlite), [PG]: at(pg) } },
    throughput: { connections: 64, byTarget: {} },
    instances: {
      connections: 64,
      one: { rounds: [1], rps: 1, errors: 0 },
      two: { rounds: [1], rps: 1, errors: 0 },
    },
    answered: 10,
    usageRows: 10,
    redisAnswered: 10,
    redisKeys: 0,
    redisBytes: 0,
  };
}

describe("bench: the PostgreSQL + Redis goal", () => {
  test("met when PostgreSQL + Redis adds at most 0.3 ms more p50 than SQLite, missed beyond", () => {
    const near = postgresRedisGoal(run(0.12, 0.4));
    expect(near.met).toBe(true);
    expect(near.measured).toStartWith("+0.280 ms");
    const far = postgresRedisGoal(run(0.12, 0.45));
    expect(far.met).toBe(false);
    expect(far.measured).toStartWith("+0.330 ms");
  });

  test("not run, and missed, when the scenario was skipped", () => {
    const skipped = postgresRedisGoal({ skipped: "Redis at 127.0.0.1:6379 is unreachable (Connection closed)" });
    expect(skipped).toMatchObject({
      met: false,
      measured: "not run: Redis at 127.0.0.1:6379 is unreachable (Connection closed)",
    });
  });
});

describe("bench: the PostgreSQL + Redis scenario's own schema and prefix", () => {
  test("an unreachable PostgreSQL: skipped with its host and port, never the user", async () => {
    const r = await openBackends("postgres://someone@127.0.0.1:1/test", "redis://127.0.0.1:1");
    expect("skipped" in r && r.skipped).toStartWith("PostgreSQL at 127.0.0.1:1 is unreachable (");
    expect(JSON.stringify(r)).not.toContain("someone");
  });

  // The real servers the PostgreSQL/Redis suites use; without them only the cases above run.
  describe.skipIf(skipWithout("postgres", "redis"))("on the test servers", () => {
    const schemaOf = (toml: string) => /search_path=(kriora_bench_[0-9a-f]+)/.exec(toml)![1]!;
    const prefixOf = (toml: string) => /prefix = "(kriora_bench_[0-9a-f]+:)"/.exec(toml)![1]!;
    const schemaExists = async (name: string) => {
      const sql = new SQL(testDatabaseUrl!);
      try {
        return (await sql`SELECT 1 FROM pg_namespace WHERE nspname = ${name}`).length === 1;
      } finally {
        await sql.close();
      }
    };

    test("a fresh schema and prefix, each counted (no usage table yet: 0 rows), both gone after close", async () => {
      const b = await openBackends(testDatabaseUrl, testRedisUrl);
      if ("skipped" in b) throw new Error(b.skipped);
      const schema = schemaOf(b.database);
      const prefix = prefixOf(b.redis);
      expect(schema).toBe(prefix.slice(0, -1));
      expect(await schemaExists(schema)).toBe(true);
      const redis = new RedisClient(testRedisUrl!);
      const sql = new SQL(testDatabaseUrl!);
      try {
        expect(await b.usageRows()).toBe(0);
        expect(await b.connections()).toMatch(/^\d+ of \d+ connections in use$/);
        await redis.set(`${prefix}a`, "1");
        await redis.set(`${prefix}b`, "1");
        await sql.unsafe(
          `CREATE TABLE ${schema}.usage_events (id int); INSERT INTO ${schema}.usage_events VALUES (1), (2), (3)`,
        );
        const left = await b.redisKeys();
        expect(left.keys).toBe(2);
        expect(left.bytes).toBeGreaterThan(2 * prefix.length);
        expect(await b.usageRows()).toBe(3);
        await b.close();
        expect(await schemaExists(schema)).toBe(false);
        expect(await redis.exists(`${prefix}a`)).toBe(false);
        expect(await redis.exists(`${prefix}b`)).toBe(false);
      } finally {
        redis.close();
        await sql.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await sql.close();
      }
    });

    test("an unreachable Redis: skipped with its host and port, and the schema already made is dropped", async () => {
      const sql = new SQL(testDatabaseUrl!);
      const before = await sql`SELECT nspname FROM pg_namespace WHERE nspname LIKE 'kriora_bench_%'`;
      const r = await openBackends(testDatabaseUrl, "redis://127.0.0.1:1");
      const after = await sql`SELECT nspname FROM pg_namespace WHERE nspname LIKE 'kriora_bench_%'`;
      await sql.close();
      expect("skipped" in r && r.skipped).toStartWith("Redis at 127.0.0.1:1 is unreachable (");
      const names = (rows: { nspname: string }[]) => rows.map((row) => row.nspname);
      expect(names(after).filter((n) => !names(before).includes(n))).toEqual([]);
    });
  });
});
