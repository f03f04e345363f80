import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { drizzle } from "drizzle-orm/bun-sqlite";
import type { SealedKey } from "../crypto/keyEnvelope";
import { backupDatabase } from "./backup";
import { migrate, migrationStatus, type MigrationStatus } from "./migrate";
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
