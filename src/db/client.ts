import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { SQL } from "bun";
import { drizzle } from "drizzle-orm/bun-sqlite";
import { drizzle as drizzlePg } from "drizzle-orm/bun-sql";
import type { SealedKey } from "../crypto/keyEnvelope";
import { KrioraError } from "../lib/errors";
import { BackupError, backupDatabase } from "./backup";
import { migrate, migratePostgres, migrationStatus, migrationStatusPostgres, type MigrationStatus } from "./migrate";
import * as schema from "./schema";
import { registerSqlite, type Db } from "./tx";

export type { Db } from "./tx";

/**
 * An open database, SQLite or PostgreSQL. Services use `db` through the helpers of tx.ts; what
 * differs between the engines (migrations, how another process's commits are seen, erasure's
 * last step, backups) stays behind these methods.
 */
interface Handle {
  db: Db;
  /** How logs and errors name the database: its file, or `host:port/database` (never a password). */
  where: string;
  /** Apply the embedded migrations that are pending. */
  migrate(): Promise<MigrationStatus>;
  migrationStatus(): Promise<MigrationStatus>;
  /** A number that changes when another process commits a change to accounts, keys or the keyring. */
  dataVersion(): Promise<number>;
  /** The last step of an erasure, once its rows are deleted. */
  purgeErased(): Promise<void>;
  /** A consistent copy of the live database in a new file (`backup` command). */
  backup(out: string, sealed?: SealedKey): Promise<void>;
  close(): Promise<void>;
}

export interface SqliteHandle extends Handle {
  dialect: "sqlite";
  /** The SQLite connection (tests and the SQLite-only commands). */
  sqlite: Database;
}

export interface PgHandle extends Handle {
  dialect: "postgres";
  sql: SQL;
}

export type DbHandle = SqliteHandle | PgHandle;

/** The database `config.database` names: PostgreSQL when `url` is set, else the SQLite file at `path`. */
export function openHandle(database: { path: string; url: string }): Promise<DbHandle> {
  return database.url ? openPostgres(database.url) : Promise.resolve(openDatabase(database.path));
}

/**
 * Open the database with the pragmas the product relies on: WAL with NORMAL sync (one fsync per
 * checkpoint, not per commit), a busy timeout, enforced foreign keys, and secure_delete so that
 * erased rows are zeroed in the file rather than left in free pages (Policy §8).
 */
export function openDatabase(path: string): SqliteHandle {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const sqlite = new Database(path, { create: true, strict: true });
  sqlite.run("PRAGMA journal_mode = WAL");
  sqlite.run("PRAGMA synchronous = NORMAL");
  sqlite.run("PRAGMA busy_timeout = 5000");
  sqlite.run("PRAGMA foreign_keys = ON");
  sqlite.run("PRAGMA secure_delete = ON");
  const db = drizzle({ client: sqlite, schema });
  registerSqlite(sqlite, db, drizzle({ client: sqlite, schema }));
  // SQLite's data_version moves on another connection's commit, whatever it changed; a reload costs little here.
  const dataVersion = sqlite.query<{ data_version: number }, []>("PRAGMA data_version");
  return {
    dialect: "sqlite",
    db,
    sqlite,
    where: path,
    migrate: async () => migrate(sqlite),
    migrationStatus: async () => migrationStatus(sqlite),
    dataVersion: async () => dataVersion.get()!.data_version,
    // Push erased bytes out of the WAL into the secure-deleted file and truncate the WAL.
    purgeErased: async () => {
      sqlite.run("PRAGMA wal_checkpoint(TRUNCATE)");
    },
    backup: async (out, sealed) => backupDatabase(sqlite, out, sealed),
    close: async () => sqlite.close(),
  };
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
    dialect: "postgres",
    sql,
    db: drizzlePg({ client: sql, schema }) as unknown as Db,
    where,
    migrate: wrapped(() => migratePostgres(sql)),
    migrationStatus: wrapped(() => migrationStatusPostgres(sql)),
    // Bumped in the same transaction by every write to accounts, api_keys and signing_keys
    // (drizzle-pg/0003_auth_version), so it moves exactly when what the auth view holds may have.
    dataVersion: async () => {
      const [row] = await sql`SELECT version FROM __kriora_auth_version`;
      return Number(row.version);
    },
    // Erased rows live on in dead tuples, the WAL and backups until PostgreSQL reuses the space:
    // what makes them unreadable is the account's destroyed data key (crypto-shredding), not this step.
    purgeErased: async () => undefined,
    backup: async () => {
      throw new BackupError(
        `kriora backup copies a SQLite file: back up PostgreSQL (${where}) with pg_dump, and the master key separately`,
      );
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
