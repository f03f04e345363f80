import type { Database } from "bun:sqlite";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config/load";
import type { Config } from "../../src/config/schema";
import { openHandle, type DbHandle } from "../../src/db/client";
import { openDeps, type Deps } from "../../src/deps";
import type { Logger, LogFields } from "../../src/lib/log";
import { databaseEnv, dropDatabase, pgDump, testDatabaseUrl } from "./pg";
import { redisModeEnv } from "./redisMode";

export interface CapturedLog extends Logger {
  lines: string[];
  text(): string;
}

/** A logger that keeps every line, so tests can scan what would have reached stdout/stderr. */
export function captureLog(): CapturedLog {
  const lines: string[] = [];
  const push =
    (level: string) =>
    (event: string, fields: LogFields = {}) => {
      lines.push(JSON.stringify({ level, event, ...fields }));
    };
  return { lines, text: () => lines.join("\n"), info: push("info"), warn: push("warn"), error: push("error") };
}

export interface TestEnv {
  dir: string;
  deps: Deps;
  log: CapturedLog;
  close(): Promise<void>;
}

/**
 * A real data dir (SQLite file + master key) in a fresh temporary folder. `toml` is a
 * kriora.toml body; `--data` semantics put the database and key inside the folder. In
 * PostgreSQL mode (`KRIORA_TEST_DATABASE_URL`) the database is a fresh schema instead, dropped on close.
 */
export async function makeTestEnv(
  toml = "",
  overrides: Partial<Pick<Deps, "clock">> & { env?: Record<string, string> } = {},
): Promise<TestEnv> {
  const dir = mkdtempSync(join(tmpdir(), "kriora-test-"));
  const file = join(dir, "kriora.toml");
  writeFileSync(file, toml);
  const dataDir = join(dir, "data");
  const redis = redisModeEnv();
  const env = { ...(await databaseEnv(dataDir)), ...redis.env, ...overrides.env };
  const config: Readonly<Config> = loadConfig({ file, dataDir, env });
  const log = captureLog();
  const deps = await openDeps(config, { log, clock: overrides.clock });
  return {
    dir,
    deps,
    log,
    async close() {
      await deps.coord.close();
      await redis.drop();
      await deps.handle.close();
      await dropDatabase(dataDir);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * PostgreSQL mode: test envs run on a PostgreSQL schema. A test of a mechanism only SQLite has
 * (WAL, pragmas, the file) is skipped then, and says so in its name.
 */
export const onPostgres = testDatabaseUrl !== undefined;

/** The SQLite connection under a test env's deps, for a test of a SQLite-only mechanism. */
export function sqliteOf(deps: Pick<Deps, "handle">): Database {
  if (deps.handle.dialect !== "sqlite")
    throw new Error("a SQLite-only test ran on PostgreSQL: skip it when onPostgres");
  return deps.handle.sqlite;
}

/**
 * Every byte the database of `deps` holds, for zero-retention scans: the SQLite file after a WAL
 * checkpoint, or a `pg_dump` of the env's PostgreSQL schema.
 */
export function storedBytes(deps: Pick<Deps, "handle" | "config">): Buffer {
  if (deps.handle.dialect === "sqlite") {
    deps.handle.sqlite.run("PRAGMA wal_checkpoint(TRUNCATE)");
    return readFileSync(deps.config.database.path);
  }
  return Buffer.from(pgDump(new URL(deps.config.database.url).searchParams.get("search_path")!));
}

/** Run SQL straight on the env's database, past the services (a test that tampers with storage). */
export async function runSql(deps: Pick<Deps, "handle">, text: string): Promise<void> {
  if (deps.handle.dialect === "sqlite") deps.handle.sqlite.run(text);
  else await deps.handle.sql.unsafe(text);
}

/** Drop a trigger (SQLite names it alone, PostgreSQL with its table). */
export const dropTrigger = (deps: Pick<Deps, "handle">, table: string, name: string) =>
  runSql(deps, deps.handle.dialect === "sqlite" ? `DROP TRIGGER ${name}` : `DROP TRIGGER ${name} ON ${table}`);

/** The columns of `table` as the database has them, in order. */
export async function columnNames(deps: Pick<Deps, "handle">, table: string): Promise<string[]> {
  const { handle } = deps;
  if (handle.dialect === "sqlite")
    return (handle.sqlite.query(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name);
  const rows = await handle.sql`SELECT column_name AS name FROM information_schema.columns
    WHERE table_schema = current_schema() AND table_name = ${table} ORDER BY ordinal_position`;
  return (rows as { name: string }[]).map((c) => c.name);
}

/** Make the database refuse every insert into `table` (a failing write), until the returned undo runs. */
export async function refuseInserts(deps: Pick<Deps, "handle">, table: string): Promise<() => Promise<void>> {
  const name = `refuse_${table}`;
  if (deps.handle.dialect === "sqlite") {
    await runSql(
      deps,
      `CREATE TEMP TRIGGER ${name} BEFORE INSERT ON ${table} BEGIN SELECT RAISE(ABORT, 'refused'); END`,
    );
  } else {
    await runSql(
      deps,
      `CREATE OR REPLACE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$`,
    );
    await runSql(deps, `CREATE TRIGGER ${name} BEFORE INSERT ON ${table} FOR EACH ROW EXECUTE FUNCTION ${name}()`);
  }
  return () => dropTrigger(deps, table, name);
}

/** The database of a data dir no deps hold open (a stopped `serve`'s): its SQLite file, or its schema in PostgreSQL mode. */
export async function openDataDir(dataDir: string): Promise<DbHandle> {
  return openHandle(loadConfig({ dataDir, env: await databaseEnv(dataDir) }).database);
}
