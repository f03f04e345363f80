import { createHash } from "node:crypto";
import type { Database } from "bun:sqlite";
import type { SQL } from "bun";
import { embeddedJournal, embeddedPgJournal, embeddedPgSql, embeddedSql } from "./migrations";

export interface MigrationStatus {
  applied: number;
  version: string;
  pending: number;
}

type Journal = typeof embeddedJournal;

const TABLE = "__drizzle_migrations";
const BREAKPOINT = "--> statement-breakpoint";

/**
 * Apply the embedded migrations in one transaction, recorded in drizzle's own table and format
 * (hash of the SQL text, journal timestamp), so drizzle-kit and this runner agree on what ran.
 */
export function migrate(sqlite: Database): MigrationStatus {
  sqlite.run(`CREATE TABLE IF NOT EXISTS ${TABLE} (id INTEGER PRIMARY KEY, hash text NOT NULL, created_at numeric)`);
  const pending = pendingMigrations(embeddedJournal, embeddedSql, lastAppliedSqlite(sqlite));
  sqlite.transaction(() => {
    for (const m of pending) {
      for (const stmt of m.sql.split(BREAKPOINT)) if (stmt.trim()) sqlite.run(stmt);
      sqlite.run(`INSERT INTO ${TABLE} (hash, created_at) VALUES (?, ?)`, [m.hash, m.when]);
    }
  })();
  return migrationStatus(sqlite);
}

export function migrationStatus(sqlite: Database): MigrationStatus {
  const exists = sqlite.query(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(TABLE);
  if (!exists) return status(embeddedJournal, 0, embeddedJournal.entries.length);
  const applied = (sqlite.query(`SELECT count(*) AS n FROM ${TABLE}`).get() as { n: number }).n;
  return status(
    embeddedJournal,
    applied,
    pendingMigrations(embeddedJournal, embeddedSql, lastAppliedSqlite(sqlite)).length,
  );
}

function lastAppliedSqlite(sqlite: Database): number {
  const row = sqlite.query(`SELECT created_at FROM ${TABLE} ORDER BY created_at DESC LIMIT 1`).get() as {
    created_at: number;
  } | null;
  return row ? Number(row.created_at) : -1;
}

/**
 * The PostgreSQL twin of `migrate`: the embedded drizzle-pg/ migrations, recorded in a
 * `__drizzle_migrations` table of the connection's schema (the first of its search_path), all in
 * one transaction (PostgreSQL's DDL is transactional). An advisory lock makes instances starting
 * at once wait for each other, so each migration runs exactly once.
 */
export async function migratePostgres(sql: SQL): Promise<MigrationStatus> {
  await sql.begin(async (tx) => {
    await tx.unsafe(`SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.${TABLE}'))`);
    await tx.unsafe(
      `CREATE TABLE IF NOT EXISTS ${TABLE} (id serial PRIMARY KEY, hash text NOT NULL, created_at bigint)`,
    );
    const pending = pendingMigrations(embeddedPgJournal, embeddedPgSql, await lastAppliedPostgres(tx));
    for (const m of pending) {
      for (const stmt of m.sql.split(BREAKPOINT)) if (stmt.trim()) await tx.unsafe(stmt);
      await tx.unsafe(`INSERT INTO ${TABLE} (hash, created_at) VALUES ($1, $2)`, [m.hash, m.when]);
    }
  });
  return migrationStatusPostgres(sql);
}

export async function migrationStatusPostgres(sql: SQL): Promise<MigrationStatus> {
  const [exists] = await sql.unsafe(`SELECT to_regclass('${TABLE}') IS NOT NULL AS ok`);
  if (!exists.ok) return status(embeddedPgJournal, 0, embeddedPgJournal.entries.length);
  const [row] = await sql.unsafe(`SELECT count(*) AS n FROM ${TABLE}`);
  const pending = pendingMigrations(embeddedPgJournal, embeddedPgSql, await lastAppliedPostgres(sql));
  return status(embeddedPgJournal, Number(row.n), pending.length);
}

async function lastAppliedPostgres(sql: SQL): Promise<number> {
  const [row] = await sql.unsafe(`SELECT max(created_at) AS last FROM ${TABLE}`);
  return row?.last == null ? -1 : Number(row.last);
}

function status(journal: Journal, applied: number, pending: number): MigrationStatus {
  return { applied, version: journal.entries.at(-1)?.tag ?? "none", pending };
}

function pendingMigrations(journal: Journal, embedded: Record<string, string>, lastApplied: number) {
  return journal.entries
    .filter((e) => e.when > lastApplied)
    .map((e) => {
      const sql = embedded[e.tag];
      if (sql === undefined)
        throw new Error(`migration ${e.tag} is in the journal but not embedded (src/db/migrations.ts)`);
      return { when: e.when, sql, hash: createHash("sha256").update(sql).digest("hex") };
    });
}
