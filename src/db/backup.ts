import { Database } from "bun:sqlite";
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, renameSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import type { SealedKey } from "../crypto/keyEnvelope";
import type { Logger } from "../lib/log";
import { migrationStatus } from "./migrate";

/** Where `backup --with-key` puts the sealed master key inside the copy; `restore` takes it out again. */
const KEY_TABLE = "kriora_backup_key";

export class BackupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BackupError";
  }
}

/**
 * A consistent copy of a live database (`VACUUM INTO` reads one snapshot while `serve` goes on
 * writing). The file is created first with O_EXCL and mode 0600, so an existing file is never
 * overwritten and the copy is never readable by others, not even for a moment.
 */
export function backupDatabase(sqlite: Database, out: string, sealed?: SealedKey): void {
  try {
    closeSync(openSync(out, "wx", 0o600));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new BackupError(
      code === "EEXIST"
        ? `${out} already exists; a backup never overwrites a file`
        : `cannot create ${out} (${code ?? "error"})`,
    );
  }
  try {
    sqlite.run("VACUUM INTO ?", [out]);
    if (sealed) {
      const copy = new Database(out, { strict: true });
      copy.run(`CREATE TABLE ${KEY_TABLE} (id INTEGER PRIMARY KEY, envelope TEXT NOT NULL)`);
      copy.run(`INSERT INTO ${KEY_TABLE} (envelope) VALUES (?)`, [JSON.stringify(sealed)]);
      copy.close();
    }
  } catch (err) {
    rmSync(out, { force: true });
    throw err;
  }
}

/** Check that `file` is an intact Kriora database and return the sealed key it carries, if any. */
export function inspectBackup(file: string): { sealed: SealedKey | null } {
  if (!existsSync(file)) throw new BackupError(`${file} does not exist`);
  let copy: Database;
  try {
    copy = new Database(file, { readonly: true, strict: true });
  } catch {
    throw new BackupError(`${file} is not a SQLite database`);
  }
  try {
    const check = copy.query("PRAGMA integrity_check").get() as { integrity_check: string } | null;
    if (check?.integrity_check !== "ok") throw new BackupError(`${file} is damaged (integrity check failed)`);
    if (migrationStatus(copy).applied === 0) throw new BackupError(`${file} is not a Kriora database`);
    const hasKey = copy.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(KEY_TABLE);
    const row = hasKey
      ? (copy.query(`SELECT envelope FROM ${KEY_TABLE} LIMIT 1`).get() as { envelope: string } | null)
      : null;
    return { sealed: row ? (JSON.parse(row.envelope) as SealedKey) : null };
  } catch (err) {
    if (err instanceof BackupError) throw err;
    throw new BackupError(`${file} is not a Kriora database`);
  } finally {
    copy.close();
  }
}

/**
 * Put a backup in place of the database at `dbPath` (which no process may be using): copied
 * beside it, the sealed key removed from the copy, then renamed over the old file, whose WAL
 * and shared-memory files go with it.
 */
export function restoreDatabase(file: string, dbPath: string): void {
  mkdirSync(dirname(dbPath), { recursive: true, mode: 0o700 });
  const staging = `${dbPath}.restoring`;
  rmSync(staging, { force: true });
  copyFileSync(file, staging);
  const copy = new Database(staging, { strict: true });
  copy.run(`DROP TABLE IF EXISTS ${KEY_TABLE}`);
  copy.run("PRAGMA journal_mode = WAL");
  copy.close();
  for (const suffix of ["-wal", "-shm"]) rmSync(dbPath + suffix, { force: true });
  renameSync(staging, dbPath);
}

/**
 * Before `serve` applies migrations to an existing database, a copy of it as it was, in
 * `backups/` beside the database; returns its path, or null when nothing is pending.
 */
export function backupBeforeMigrating(dbPath: string, now: Date, log: Logger): string | null {
  if (!existsSync(dbPath)) return null;
  const sqlite = new Database(dbPath, { strict: true });
  try {
    const status = migrationStatus(sqlite);
    if (status.applied === 0 || status.pending === 0) return null;
    const dir = join(dirname(dbPath), "backups");
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const out = join(dir, `kriora-${now.toISOString().replace(/[:.]/g, "-")}-before-${status.version}.db`);
    backupDatabase(sqlite, out);
    log.info("pre_migration_backup", { file: out, pending: status.pending });
    return out;
  } finally {
    sqlite.close();
  }
}
