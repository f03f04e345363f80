import { describe } from "bun:test";
import { randomBytes } from "node:crypto";
import { RedisClient, SQL } from "bun";

/**
 * The shared PostgreSQL and Redis of this machine, named by the environment (`.ci/run` sets both):
 * `KRIORA_TEST_DATABASE_URL` (e.g. `postgres://postgres@127.0.0.1:5432/test`) and
 * `KRIORA_TEST_REDIS_URL` (e.g. `redis://127.0.0.1:6379`). Unset → SQLite and in-process only.
 */
export const TEST_DATABASE_URL = process.env.KRIORA_TEST_DATABASE_URL ?? "";
export const TEST_REDIS_URL = process.env.KRIORA_TEST_REDIS_URL ?? "";

const UNSET = [
  ...(TEST_DATABASE_URL ? [] : ["KRIORA_TEST_DATABASE_URL"]),
  ...(TEST_REDIS_URL ? [] : ["KRIORA_TEST_REDIS_URL"]),
];

/**
 * Suites that need PostgreSQL and Redis (several instances, their faults, the zero-retention scan
 * of a pg_dump) run when both variables are set. Without them they are skipped with one line per
 * test run naming what is unset — except under CI (`CI=true`), where a skip is a failure.
 */
export function describeWithServices(title: string, body: () => void): void {
  if (UNSET.length === 0) {
    describe(title, body);
    return;
  }
  const unset = UNSET.join(" and ");
  if (process.env.CI === "true") throw new Error(`${unset} unset under CI: the PostgreSQL+Redis suites must run`);
  if (!toldSkipped)
    console.log(
      `PostgreSQL+Redis suites skipped: ${unset} unset (.ci/run sets them; see README, Running several instances)`,
    );
  toldSkipped = true;
  describe.skip(title, body);
}

/** One skip line per test run, however many suites it holds. */
let toldSkipped = false;

export interface TestDatabase {
  /** `postgres://…/kriora_t_<random>`: a database of its own on the shared server. */
  url: string;
  /** Drop it (connections still open are ended). */
  drop(): Promise<void>;
}

/**
 * A fresh database on the shared PostgreSQL, for processes (they take a URL, so a schema of the
 * test database would need a search_path they cannot be given). Dropped by `drop()`.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `kriora_t_${randomBytes(6).toString("hex")}`;
  const admin = new SQL(TEST_DATABASE_URL);
  await admin.unsafe(`CREATE DATABASE ${name}`);
  await admin.close();
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const sql = new SQL(TEST_DATABASE_URL);
      await sql.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await sql.close();
    },
  };
}

export interface TestRedisDb {
  /** The shared Redis URL with a database number of its own (`redis://…/N`). */
  url: string;
  /** Empty that database and give the claim back. */
  release(): Promise<void>;
}

/** Databases 8–15 of the shared Redis are handed out to test files, one at a time each. */
const FIRST_DB = 8;
const LAST_DB = 15;
const CLAIM_S = 1_800;

/**
 * One Redis database number of the shared server for this test file alone: claimed with
 * `SET … NX` in database 0 (so two runs at once never share one), emptied before and after use.
 */
export async function claimRedisDb(): Promise<TestRedisDb> {
  const token = randomBytes(8).toString("hex");
  const control = new RedisClient(TEST_REDIS_URL);
  const deadline = Date.now() + 60_000;
  try {
    while (Date.now() < deadline) {
      for (let db = FIRST_DB; db <= LAST_DB; db++) {
        const claimed = await control.send("SET", [`kriora:test:redis-db:${db}`, token, "NX", "EX", String(CLAIM_S)]);
        if (claimed !== "OK") continue;
        const url = withDb(TEST_REDIS_URL, db);
        await flush(url);
        return {
          url,
          async release() {
            await flush(url);
            const again = new RedisClient(TEST_REDIS_URL);
            if ((await again.get(`kriora:test:redis-db:${db}`)) === token)
              await again.del(`kriora:test:redis-db:${db}`);
            again.close();
          },
        };
      }
      await Bun.sleep(500);
    }
    throw new Error(`no free Redis database among ${FIRST_DB}–${LAST_DB} of the shared server`);
  } finally {
    control.close();
  }
}

function withDb(base: string, db: number): string {
  const url = new URL(base);
  url.pathname = `/${db}`;
  return url.toString();
}

async function flush(url: string) {
  const client = new RedisClient(url);
  await client.send("FLUSHDB", []);
  client.close();
}

/** Everything a database of the shared PostgreSQL holds, as `pg_dump` writes it (plain SQL, `COPY` data): what a backup would contain. */
export function pgDumpDatabase(url: string): string {
  const u = new URL(url);
  const args = ["pg_dump", "--no-owner", "--no-privileges", "-h", u.hostname, "-p", u.port || "5432"];
  if (u.username) args.push("-U", decodeURIComponent(u.username));
  args.push(decodeURIComponent(u.pathname.slice(1)));
  const run = Bun.spawnSync(args, {
    env: { PATH: process.env.PATH ?? "", PGPASSWORD: decodeURIComponent(u.password) },
    stdout: "pipe",
    stderr: "pipe",
  });
  if (run.exitCode !== 0) throw new Error(`pg_dump failed: ${run.stderr.toString().trim()}`);
  return run.stdout.toString();
}

/**
 * Every key of one Redis database with its value(s), read by type (strings, hashes, lists, sets,
 * sorted sets, streams) as text: a scan of what Redis holds. (An RDB file would not do: it
 * compresses long strings.)
 */
export async function redisContents(url: string): Promise<string> {
  const client = new RedisClient(url);
  const parts: string[] = [];
  let cursor = "0";
  do {
    const [next, keys] = (await client.send("SCAN", [cursor, "COUNT", "1000"])) as [string, string[]];
    cursor = next;
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
  } while (cursor !== "0");
  client.close();
  return parts.join("\n");
}
