import { skipWithout } from "../helpers/services";
import { afterAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../../src/cli/run";
import { backupBeforeMigrating } from "../../src/db/backup";
import { openDatabase } from "../../src/db/client";
import { migrate } from "../../src/db/migrate";
import { captureLog } from "../helpers/deps";
import { startServe } from "../helpers/process";
import { databaseEnv, dropDatabase } from "../helpers/pg";

const root = mkdtempSync(join(tmpdir(), "kriora-backup-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function kriora(dataDir: string, args: string[], env: Record<string, string> = {}) {
  const captured = { out: "", err: "" };
  const code = await runCli([...args, "--data", dataDir], {
    out: (t) => void (captured.out += t),
    err: (t) => void (captured.err += t),
    env,
    isTTY: false,
  });
  return { code, ...captured };
}

const emails = (file: string) => {
  const db = new Database(file, { readonly: true });
  const n = (db.query("SELECT count(*) AS n FROM accounts").get() as { n: number }).n;
  db.close();
  return n;
};

describe("kriora backup / restore", () => {
  test("an online backup while serve runs: new file, mode 0600, never overwrites, reminds about master.key; restore is refused while serve runs, then works", async () => {
    const data = join(root, "live");
    expect((await kriora(data, ["accounts", "create", "--email", "one@example.com"])).code).toBe(0);
    const served = await startServe(
      [process.execPath, join(import.meta.dir, "../../src/main.ts"), "serve", "--data", data],
      root,
      { KRIORA_DATABASE_URL: "" }, // backup and restore copy SQLite files
    );
    try {
      expect((await fetch(`${served.url}/healthz`)).status).toBe(200);
      const out = join(root, "live-backup.db");
      const made = await kriora(data, ["backup", "--out", out]);
      expect(made.code).toBe(0);
      expect(made.err).toContain("master.key");
      expect(statSync(out).mode & 0o777).toBe(0o600);
      expect(emails(out)).toBe(1);
      const again = await kriora(data, ["backup", "--out", out]);
      expect(again.code).toBe(1);
      expect(again.err).toContain("already exists");

      expect((await kriora(data, ["accounts", "create", "--email", "two@example.com"])).code).toBe(0);
      const refused = await kriora(data, ["restore", out, "--yes"]);
      expect(refused.code).toBe(1);
      expect(refused.err).toContain(`pid ${served.proc.pid}`);
      expect(emails(join(data, "kriora.db"))).toBe(2);
      expect(await served.stop()).toBe(0);

      const restored = await kriora(data, ["restore", out, "--yes"]);
      expect(restored.code).toBe(0);
      expect(emails(join(data, "kriora.db"))).toBe(1);
    } finally {
      if (served.proc.exitCode === null) await served.stop();
    }
  }, 30_000);

  test("--with-key seals the master key under a passphrase: not in the file in clear, restored only with the right passphrase", async () => {
    const data = join(root, "keyed");
    expect((await kriora(data, ["accounts", "create", "--email", "k@example.com"])).code).toBe(0);
    const key = readFileSync(join(data, "master.key"));
    const out = join(root, "keyed-backup.db");
    const passphrase = "correct horse battery staple";
    const made = await kriora(data, ["backup", "--out", out, "--with-key"], { KRIORA_BACKUP_PASSPHRASE: passphrase });
    expect(made.code).toBe(0);
    expect(made.err).not.toContain("reminder");
    const bytes = readFileSync(out);
    expect(bytes.indexOf(key)).toBe(-1);

    const fresh = join(root, "fresh");
    const wrong = await kriora(fresh, ["restore", out, "--yes"], { KRIORA_BACKUP_PASSPHRASE: "not the passphrase" });
    expect(wrong.code).toBe(1);
    expect(wrong.err).toContain("wrong passphrase");
    expect(existsSync(join(fresh, "master.key"))).toBe(false);

    const ok = await kriora(fresh, ["restore", out, "--yes"], { KRIORA_BACKUP_PASSPHRASE: passphrase });
    expect(ok.code).toBe(0);
    expect(readFileSync(join(fresh, "master.key")).equals(key)).toBe(true);
    expect(statSync(join(fresh, "master.key")).mode & 0o777).toBe(0o600);
    const listed = await kriora(fresh, ["accounts", "list", "--json"]);
    expect(listed.out).toContain("k@example.com");
  }, 30_000);

  test("restore refuses a file that is not a Kriora database", async () => {
    const junk = join(root, "junk.db");
    writeFileSync(junk, "not sqlite at all, just text that is long enough to be read as a header");
    const res = await kriora(join(root, "junk-data"), ["restore", junk, "--yes"]);
    expect(res.code).toBe(1);
    expect(res.err).toMatch(/not a (SQLite|Kriora) database/);
  });
});

describe("database.backup_before_migrate", () => {
  const dbPath = join(root, "premigrate", "kriora.db");
  const log = captureLog();
  const handle = openDatabase(dbPath);
  migrate(handle.sqlite);
  void handle.close();

  test("nothing pending: no copy", () => {
    expect(backupBeforeMigrating(dbPath, new Date(), log)).toBeNull();
  });

  test("a migration pending on an existing database: a copy of it as it was, in backups/ beside it, mode 0600", () => {
    const db = new Database(dbPath);
    db.run("DELETE FROM __drizzle_migrations WHERE id = (SELECT max(id) FROM __drizzle_migrations)");
    const before = (db.query("SELECT count(*) AS n FROM __drizzle_migrations").get() as { n: number }).n;
    db.close();
    const copy = backupBeforeMigrating(dbPath, new Date("2026-01-02T03:04:05Z"), log)!;
    expect(copy).toStartWith(join(root, "premigrate", "backups", "kriora-2026-01-02T03-04-05-000Z-before-"));
    expect(statSync(copy).mode & 0o777).toBe(0o600);
    const saved = new Database(copy, { readonly: true });
    expect((saved.query("SELECT count(*) AS n FROM __drizzle_migrations").get() as { n: number }).n).toBe(before);
    saved.close();
    expect(log.text()).toContain("pre_migration_backup");
  });
});

describe.skipIf(skipWithout("postgres"))("kriora backup / restore on PostgreSQL (database.url)", () => {
  test("both refuse, pointing to pg_dump; nothing is written or replaced", async () => {
    const data = join(root, "pg");
    const env = await databaseEnv(data);
    try {
      expect((await kriora(data, ["accounts", "create", "--email", "pg@example.com"], env)).code).toBe(0);
      const out = join(root, "pg-backup.db");
      const backup = await kriora(data, ["backup", "--out", out], env);
      expect(backup.code).toBe(1);
      expect(backup.err).toContain("pg_dump");
      expect(backup.err).not.toContain("Error");
      expect(existsSync(out)).toBe(false);
      const restore = await kriora(data, ["restore", join(root, "keyed-backup.db"), "--yes"], env);
      expect(restore.code).toBe(1);
      expect(restore.err).toContain("pg_dump");
      const listed = await kriora(data, ["accounts", "list", "--json"], env);
      expect(listed.out).toContain("pg@example.com");
    } finally {
      await dropDatabase(data);
    }
  });
});
