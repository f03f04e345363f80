import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { SQL } from "bun";
import { drizzle } from "drizzle-orm/bun-sqlite";
import { drizzle as drizzlePg, type BunSQLDatabase } from "drizzle-orm/bun-sql";
import type { SealedKey } from "../crypto/keyEnvelope";
import { KrioraError } from "../lib/errors";
import { backupDatabase } from "./backup";
import { migrate, migratePostgres, migrationStatus, migrationStatusPostgres, type MigrationStatus } from "./migrate";
import * as schema from "./schema";
import { registerSqlite, type Db } from "./tx";

export type { Db } from "./tx";

/**
 * An open database. Services use `db` through the helpers of tx.ts; what only one engine can do
 * (SQLite's pragmas, WAL checkpoints, file backups) stays behind these methods.
 */
export interface DbHandle {
  db: Db;
  /** The SQLite connection (tests and the SQLite-only commands). */
  sqlite: Database;
  /** Apply the embedded migrations that are pending. */
  migrate(): Promise<MigrationStatus>;
  migrationStatus(): Promise<MigrationStatus>;
  /** A number that changes when another process commits (SQLite's data_version). */
  dataVersion(): Promise<number>;
  /** After an erasure: push erased bytes out of the WAL into the secure-deleted file and truncate the WAL. */
  purgeErased(): Promise<void>;
  /** A consistent copy of the live database in a new file (`backup` command). */
  backup(out: string, sealed?: SealedKey): Promise<void>;
  close(): void;
}

/**
 * Open the database with the pragmas the product relies on: WAL with NORMAL sync (one fsync per
 * checkpoint, not per commit), a busy timeout, enforced foreign keys, and secure_delete so that
 * erased rows are zeroed in the file rather than left in free pages (Policy §8).
 */
export function openDatabase(path: string): DbHandle {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const sqlite = new Database(path, { create: true, strict: true });
  sqlite.run("PRAGMA journal_mode = WAL");
  sqlite.run("PRAGMA synchronous = NORMAL");
  sqlite.run("PRAGMA busy_timeout = 5000");
  sqlite.run("PRAGMA foreign_keys = ON");
  sqlite.run("PRAGMA secure_delete = ON");
  const db = drizzle({ client: sqlite, schema });
  registerSqlite(sqlite, db, drizzle({ client: sqlite, schema }));
  const dataVersion = sqlite.query<{ data_version: number }, []>("PRAGMA data_version");
  return {
    db,
    sqlite,
    migrate: async () => migrate(sqlite),
    migrationStatus: async () => migrationStatus(sqlite),
    dataVersion: async () => dataVersion.get()!.data_version,
    purgeErased: async () => {
      sqlite.run("PRAGMA wal_checkpoint(TRUNCATE)");
    },
    backup: async (out, sealed) => backupDatabase(sqlite, out, sealed),
    close: () => sqlite.close(),
  };
}

type PgDb = BunSQLDatabase<typeof schema>;

/**
 * An open PostgreSQL database: the same schema's tables, run by drizzle's bun-sql driver. Its
 * methods are the engine-specific part of a database handle, as SQLite's pragmas are.
 */
export interface PgHandle {
  sql: SQL;
  db: PgDb;
  /** `host:port/database`: how errors and logs name the server (never with the URL's password). */
  where: string;
  /** Apply the embedded drizzle-pg/ migrations that are pending. */
  migrate(): Promise<MigrationStatus>;
  migrationStatus(): Promise<MigrationStatus>;
  /**
   * A number that changes when anyone commits a write: the server's WAL position (SQLite's
   * data_version counts only other connections' commits; an extra change only costs a reload).
   */
  dataVersion(): Promise<number>;
  close(): Promise<void>;
}

/**
 * Connect to PostgreSQL (`database.url`, e.g. `postgres://kriora@db:5432/kriora`) and check the
 * server answers. Any failure, here or when migrating, becomes one line naming
 * `host:port/database` and the server's reason: the URL's password never appears.
 */
export async function openPostgres(url: string): Promise<PgHandle> {
  const where = describePostgresUrl(url);
  let sql: SQL;
  try {
    sql = new SQL(url, { connectionTimeout: 10 });
  } catch {
    throw new KrioraError("unavailable", `database.url is not a valid postgres:// URL (${where})`);
  }
  const failed = (err: unknown) =>
    new KrioraError("unavailable", `cannot open PostgreSQL at ${where}: ${reasonOf(err, url)}`);
  try {
    await sql`SELECT 1`;
  } catch (err) {
    await sql.close().catch(() => undefined);
    throw failed(err);
  }
  const wrapped =
    <T>(fn: () => Promise<T>) =>
    () =>
      fn().catch((err) => Promise.reject(failed(err)));
  return {
    sql,
    db: drizzlePg({ client: sql, schema }),
    where,
    migrate: wrapped(() => migratePostgres(sql)),
    migrationStatus: wrapped(() => migrationStatusPostgres(sql)),
    dataVersion: async () => {
      const [row] = await sql`SELECT pg_current_wal_lsn()::text AS lsn`;
      const [hi, lo] = String(row.lsn).split("/");
      return Number.parseInt(hi!, 16) * 2 ** 32 + Number.parseInt(lo!, 16);
    },
    close: () => sql.close(),
  };
}

/** `postgres://user:secret@db.example:5432/kriora?sslmode=require` → `db.example:5432/kriora`. */
function describePostgresUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname || "localhost"}:${u.port || "5432"}/${decodeURIComponent(u.pathname.slice(1)) || "postgres"}`;
  } catch {
    return "an unparsable URL";
  }
}

/** The driver's reason on one line, with anything that could be the password cut out. */
function reasonOf(err: unknown, url: string): string {
  const code = (err as { code?: string }).code;
  let reason = err instanceof Error ? err.message : String(err);
  if (code === "ERR_POSTGRES_CONNECTION_REFUSED") reason = "connection refused or host unreachable";
  if (code === "ERR_POSTGRES_CONNECTION_TIMEOUT") reason = "connection timed out";
  let password = "";
  try {
    password = decodeURIComponent(new URL(url).password);
  } catch {}
  if (password) reason = reason.replaceAll(password, "***");
  return reason.replace(/\s+/g, " ").trim();
}
