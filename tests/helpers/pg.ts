import { randomBytes } from "node:crypto";
import { SQL } from "bun";

/**
 * The PostgreSQL server the PostgreSQL-mode tests use (`KRIORA_TEST_DATABASE_URL`, e.g.
 * `postgres://postgres@127.0.0.1:5432/test`); unset → those tests are skipped and the suite runs
 * on SQLite only. `.ci/run` sets it.
 */
export const testDatabaseUrl = process.env.KRIORA_TEST_DATABASE_URL || undefined;

export interface TestSchema {
  /** `kriora_t_<random>`: the schema every table of this test lives in. */
  name: string;
  /** The server's URL with `search_path` set to the schema: what `database.url` gets. */
  url: string;
  /** A client on that URL (its unqualified names resolve inside the schema). */
  sql: SQL;
  /** Close the client and drop the schema with everything in it. */
  drop(): Promise<void>;
}

/**
 * A fresh, empty schema on the test server, so tests running at once never see each other's
 * rows. Call `drop()` in afterAll/afterEach.
 */
export async function createTestSchema(base = requireTestDatabaseUrl()): Promise<TestSchema> {
  const name = `kriora_t_${randomBytes(6).toString("hex")}`;
  const admin = new SQL(base);
  try {
    await admin.unsafe(`CREATE SCHEMA ${name}`);
  } finally {
    await admin.close();
  }
  const url = new URL(base);
  url.searchParams.set("search_path", name);
  const sql = new SQL(url.href);
  return {
    name,
    url: url.href,
    sql,
    async drop() {
      await sql.close();
      const admin = new SQL(base);
      try {
        await admin.unsafe(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
      } finally {
        await admin.close();
      }
    },
  };
}

export function requireTestDatabaseUrl(): string {
  if (!testDatabaseUrl) throw new Error("KRIORA_TEST_DATABASE_URL is not set");
  return testDatabaseUrl;
}

/**
 * Everything PostgreSQL holds for one test schema, as `pg_dump` writes it (plain SQL: DDL and
 * `COPY` data): what a backup of the database would contain. Zero-retention and crypto-shredding
 * tests scan it, or restore it with `restoreDump`.
 */
export function pgDump(schema: string, base = requireTestDatabaseUrl()): string {
  const url = new URL(base);
  const args = ["pg_dump", "--no-owner", "--no-privileges", "-h", url.hostname, "-p", url.port || "5432"];
  if (url.username) args.push("-U", decodeURIComponent(url.username));
  args.push("-n", schema, decodeURIComponent(url.pathname.slice(1)));
  const env = { ...process.env, PGPASSWORD: decodeURIComponent(url.password) };
  const run = Bun.spawnSync(args, { env, stdout: "pipe", stderr: "pipe" });
  if (run.exitCode !== 0) throw new Error(`pg_dump -n ${schema} failed: ${run.stderr.toString().trim()}`);
  return run.stdout.toString();
}

/**
 * Load a `pgDump` into a new schema (every mention of the old schema's random name rewritten), e.g. to read an old backup with
 * today's keys. The returned schema is dropped like any other.
 */
export async function restoreDump(dump: string, from: string, base = requireTestDatabaseUrl()): Promise<TestSchema> {
  const target = await createTestSchema(base);
  const body = dump
    .split("\n")
    .filter((line) => !/^CREATE SCHEMA |^ALTER SCHEMA |^\\(un)?restrict /.test(line))
    .join("\n")
    .replaceAll(from, target.name);
  const url = new URL(base);
  const args = ["psql", "-q", "-v", "ON_ERROR_STOP=1", "-h", url.hostname, "-p", url.port || "5432"];
  if (url.username) args.push("-U", decodeURIComponent(url.username));
  args.push(decodeURIComponent(url.pathname.slice(1)));
  const env = { ...process.env, PGPASSWORD: decodeURIComponent(url.password) };
  const run = Bun.spawnSync(args, { env, stdin: Buffer.from(body), stdout: "pipe", stderr: "pipe" });
  if (run.exitCode !== 0) {
    await target.drop();
    throw new Error(`restoring the dump of ${from} failed: ${run.stderr.toString().trim()}`);
  }
  return target;
}
