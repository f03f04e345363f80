import { afterEach, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { migrate, migrationStatus } from "../../src/db/migrate";
import { embeddedJournal, embeddedSql } from "../../src/db/migrations";
import { makeTestEnv, type TestEnv } from "../helpers/deps";

let env: TestEnv | undefined;
afterEach(() => env?.close());

const drizzleDir = join(import.meta.dir, "../../drizzle");

describe("embedded migrations", () => {
  test("every journal entry has its embedded SQL, identical to the drizzle-kit file", () => {
    const journal = JSON.parse(readFileSync(join(drizzleDir, "meta/_journal.json"), "utf8"));
    expect(embeddedJournal.entries.map((e) => e.tag)).toEqual(journal.entries.map((e: { tag: string }) => e.tag));
    for (const e of journal.entries as { tag: string }[]) {
      expect(embeddedSql[e.tag]).toBe(readFileSync(join(drizzleDir, `${e.tag}.sql`), "utf8"));
    }
    const files = readdirSync(drizzleDir)
      .filter((f) => f.endsWith(".sql"))
      .map((f) => f.replace(/\.sql$/, ""));
    expect(Object.keys(embeddedSql).sort()).toEqual(files.sort());
  });

  test("migrating twice changes nothing the second time", async () => {
    env = await makeTestEnv();
    const sqlite = env.deps.handle.sqlite;
    const schemaOf = () => sqlite.query("SELECT type, name, sql FROM sqlite_master ORDER BY name").all();
    const before = schemaOf();
    const status = migrate(sqlite);
    expect(status.pending).toBe(0);
    expect(status.applied).toBe(embeddedJournal.entries.length);
    expect(schemaOf()).toEqual(before);
    expect(migrationStatus(sqlite).applied).toBe(embeddedJournal.entries.length);
  });

  test("the database runs with the pragmas the product relies on", async () => {
    env = await makeTestEnv();
    const pragma = (name: string) => Object.values(env!.deps.handle.sqlite.query(`PRAGMA ${name}`).get() as object)[0];
    expect(pragma("journal_mode")).toBe("wal");
    expect(pragma("synchronous")).toBe(1);
    expect(pragma("foreign_keys")).toBe(1);
    expect(pragma("secure_delete")).toBe(1);
    expect(Number(pragma("busy_timeout"))).toBeGreaterThan(0);
  });
});
