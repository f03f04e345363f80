import { afterEach, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { migrate, migratePostgres, migrationStatus, migrationStatusPostgres } from "../../src/db/migrate";
import { embeddedJournal, embeddedPgJournal, embeddedPgSql, embeddedSql } from "../../src/db/migrations";
import { makeTestEnv, onPostgres, sqliteOf, type TestEnv } from "../helpers/deps";
import { createTestSchema } from "../helpers/pg";
import { skipWithout } from "../helpers/services";

let env: TestEnv | undefined;
afterEach(() => env?.close());

const embedded = [
  { dir: "drizzle", journal: embeddedJournal, sql: embeddedSql },
  { dir: "drizzle-pg", journal: embeddedPgJournal, sql: embeddedPgSql },
];

describe("embedded migrations", () => {
  test.each(embedded)("every journal entry of $dir/ has its embedded SQL, identical to the file", (m) => {
    const dir = join(import.meta.dir, "../..", m.dir);
    const journal = JSON.parse(readFileSync(join(dir, "meta/_journal.json"), "utf8"));
    expect(m.journal.entries.map((e) => e.tag)).toEqual(journal.entries.map((e: { tag: string }) => e.tag));
    for (const e of journal.entries as { tag: string }[]) {
      expect(m.sql[e.tag]).toBe(readFileSync(join(dir, `${e.tag}.sql`), "utf8"));
    }
    const files = readdirSync(dir)
      .filter((f) => f.endsWith(".sql"))
      .map((f) => f.replace(/\.sql$/, ""));
    expect(Object.keys(m.sql).sort()).toEqual(files.sort());
  });

  test.skipIf(onPostgres)("SQLite: migrating twice changes nothing the second time", async () => {
    env = await makeTestEnv();
    const sqlite = sqliteOf(env.deps);
    const schemaOf = () => sqlite.query("SELECT type, name, sql FROM sqlite_master ORDER BY name").all();
    const before = schemaOf();
    const status = migrate(sqlite);
    expect(status.pending).toBe(0);
    expect(status.applied).toBe(embeddedJournal.entries.length);
    expect(schemaOf()).toEqual(before);
    expect(migrationStatus(sqlite).applied).toBe(embeddedJournal.entries.length);
  });

  test.skipIf(onPostgres)("SQLite: the database runs with the pragmas the product relies on", async () => {
    env = await makeTestEnv();
    const pragma = (name: string) => Object.values(sqliteOf(env!.deps).query(`PRAGMA ${name}`).get() as object)[0];
    expect(pragma("journal_mode")).toBe("wal");
    expect(pragma("synchronous")).toBe(1);
    expect(pragma("foreign_keys")).toBe(1);
    expect(pragma("secure_delete")).toBe(1);
    expect(Number(pragma("busy_timeout"))).toBeGreaterThan(0);
  });

  test.skipIf(skipWithout("postgres"))(
    "PostgreSQL: migrations apply once, are recorded, and migrating again changes nothing",
    async () => {
      const pg = await createTestSchema();
      try {
        expect(await migrationStatusPostgres(pg.sql)).toEqual({
          applied: 0,
          version: embeddedPgJournal.entries.at(-1)!.tag,
          pending: embeddedPgJournal.entries.length,
        });
        const schemaOf = () =>
          pg.sql`SELECT table_name, column_name, data_type FROM information_schema.columns
               WHERE table_schema = ${pg.name} ORDER BY table_name, column_name`;
        await Promise.all([migratePostgres(pg.sql), migratePostgres(pg.sql)]);
        const before = await schemaOf();
        const status = await migratePostgres(pg.sql);
        expect(status).toEqual({ applied: embeddedPgJournal.entries.length, version: status.version, pending: 0 });
        expect(await schemaOf()).toEqual(before);
        const recorded = await pg.sql`SELECT created_at FROM __drizzle_migrations ORDER BY id`;
        expect(recorded.map((r: { created_at: string }) => Number(r.created_at))).toEqual(
          embeddedPgJournal.entries.map((e) => e.when),
        );
      } finally {
        await pg.drop();
      }
    },
  );
});
