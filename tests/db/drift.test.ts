import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase, type SqliteHandle } from "../../src/db/client";
import { migrate, migratePostgres } from "../../src/db/migrate";
import { pgSchemaOf } from "../../scripts/pgSchema";
import { diffSchemas, readSnapshot } from "../../scripts/pgMigrations";
import { drizzleShape, postgresShape, postgresTriggers, sqliteShape, sqliteTriggers } from "../helpers/dbShape";
import { createTestSchema, type TestSchema } from "../helpers/pg";
import { skipWithout } from "../helpers/services";

/**
 * One definition per table (src/db/schema), two dialects' migrations (drizzle/ by drizzle-kit,
 * drizzle-pg/ by scripts/pgMigrations.ts): a fresh database of each, migrated, must have exactly
 * the tables, columns, keys, indexes and checks the definitions ask for. A schema change that
 * reached only one dialect's migrations fails here.
 */
describe.skipIf(skipWithout("postgres"))("schema drift between SQLite, PostgreSQL and the drizzle definitions", () => {
  let dir: string;
  let sqlite: SqliteHandle;
  let pg: TestSchema;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "kriora-drift-"));
    sqlite = openDatabase(join(dir, "kriora.db"));
    migrate(sqlite.sqlite);
    pg = await createTestSchema();
    await migratePostgres(pg.sql);
  });

  afterAll(async () => {
    await sqlite.close();
    rmSync(dir, { recursive: true, force: true });
    await pg.drop();
  });

  test("a migrated SQLite file matches the drizzle definitions", () => {
    expect(sqliteShape(sqlite.sqlite)).toEqual(drizzleShape(pgSchemaOf()));
  });

  test("a migrated PostgreSQL schema matches the drizzle definitions", async () => {
    expect(await postgresShape(pg.sql)).toEqual(drizzleShape(pgSchemaOf()));
  });

  test("the two databases match each other table by table", async () => {
    const lite = sqliteShape(sqlite.sqlite);
    const post = await postgresShape(pg.sql);
    expect(Object.keys(post).sort()).toEqual(Object.keys(lite).sort());
    for (const table of Object.keys(lite)) expect({ table, ...post[table] }).toEqual({ table, ...lite[table]! });
  });

  test("every SQLite trigger exists on PostgreSQL, on the same table", async () => {
    const pgTriggers = await postgresTriggers(pg.sql);
    expect(sqliteTriggers(sqlite.sqlite).length).toBeGreaterThan(0);
    for (const trigger of sqliteTriggers(sqlite.sqlite)) expect(pgTriggers).toContain(trigger);
  });

  test("drizzle-pg/'s snapshot is the schema (npm run db:generate:pg has nothing to write)", () => {
    expect(diffSchemas(readSnapshot(), pgSchemaOf(), true)).toEqual([]);
  });

  test("the comparison sees a column that one database lacks", async () => {
    const other = await createTestSchema();
    try {
      await migratePostgres(other.sql);
      await other.sql`ALTER TABLE accounts DROP COLUMN suspended_from`;
      const shape = await postgresShape(other.sql);
      expect(shape.accounts!.columns).not.toEqual(sqliteShape(sqlite.sqlite).accounts!.columns);
      expect(drizzleShape(pgSchemaOf()).accounts!.columns).toContain("suspended_from text");
      expect(shape.accounts!.columns).not.toContain("suspended_from text");
    } finally {
      await other.drop();
    }
  });
});
