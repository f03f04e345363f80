import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { drizzle, type BunSQLiteDatabase } from "drizzle-orm/bun-sqlite";
import * as schema from "./schema";

export type Db = BunSQLiteDatabase<typeof schema>;

export interface DbHandle {
  sqlite: Database;
  db: Db;
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
  return { sqlite, db, close: () => sqlite.close() };
}

/** Push erased bytes out of the WAL into the (secure-deleted) main file and truncate the WAL. */
export function checkpoint(sqlite: Database): void {
  sqlite.run("PRAGMA wal_checkpoint(TRUNCATE)");
}
