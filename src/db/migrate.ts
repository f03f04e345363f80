import { createHash } from "node:crypto";
import type { Database } from "bun:sqlite";
import { embeddedJournal, embeddedSql } from "./migrations";

export interface MigrationStatus {
  applied: number;
  version: string;
  pending: number;
}

const TABLE = "__drizzle_migrations";

/**
 * Apply the embedded migrations in one transaction, recorded in drizzle's own table and format
 * (hash of the SQL text, journal timestamp), so drizzle-kit and this runner agree on what ran.
 */
export function migrate(sqlite: Database): MigrationStatus {
  sqlite.run(`CREATE TABLE IF NOT EXISTS ${TABLE} (id INTEGER PRIMARY KEY, hash text NOT NULL, created_at numeric)`);
  const pending = pendingMigrations(sqlite);
  sqlite.transaction(() => {
    for (const m of pending) {
      for (const stmt of m.sql.split("--> statement-breakpoint")) if (stmt.trim()) sqlite.run(stmt);
      sqlite.run(`INSERT INTO ${TABLE} (hash, created_at) VALUES (?, ?)`, [m.hash, m.when]);
    }
  })();
  return migrationStatus(sqlite);
}

export function migrationStatus(sqlite: Database): MigrationStatus {
  const exists = sqlite.query(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(TABLE);
  const last = embeddedJournal.entries.at(-1)?.tag ?? "none";
  if (!exists) return { applied: 0, version: last, pending: embeddedJournal.entries.length };
  const applied = (sqlite.query(`SELECT count(*) AS n FROM ${TABLE}`).get() as { n: number }).n;
  return { applied, version: last, pending: pendingMigrations(sqlite).length };
}

function pendingMigrations(sqlite: Database) {
  const row = sqlite.query(`SELECT created_at FROM ${TABLE} ORDER BY created_at DESC LIMIT 1`).get() as {
    created_at: number;
  } | null;
  const lastApplied = row ? Number(row.created_at) : -1;
  return embeddedJournal.entries
    .filter((e) => e.when > lastApplied)
    .map((e) => {
      const sql = embeddedSql[e.tag];
      if (sql === undefined)
        throw new Error(`migration ${e.tag} is in the journal but not embedded (src/db/migrations.ts)`);
      return { when: e.when, sql, hash: createHash("sha256").update(sql).digest("hex") };
    });
}
