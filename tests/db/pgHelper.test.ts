import { describe, expect, test } from "bun:test";
import { SQL } from "bun";
import { migratePostgres } from "../../src/db/migrate";
import { createTestSchema, pgDump, requireTestDatabaseUrl, restoreDump } from "../helpers/pg";
import { skipWithout } from "../helpers/services";

/** tests/helpers/pg.ts: a schema per test, dropped after; pg_dump of it, and restoring that dump. */
describe.skipIf(skipWithout("postgres"))("PostgreSQL test helper", () => {
  const schemaExists = async (name: string) => {
    const admin = new SQL(requireTestDatabaseUrl());
    try {
      const [row] = await admin`SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = ${name}`;
      return row.n === 1;
    } finally {
      await admin.close();
    }
  };

  test("each test schema is its own namespace, on the search_path of its URL, and drop() removes it", async () => {
    const a = await createTestSchema();
    const b = await createTestSchema();
    try {
      expect(a.name).toMatch(/^kriora_t_[0-9a-f]{12}$/);
      await a.sql`CREATE TABLE t (v text)`;
      await a.sql`INSERT INTO t VALUES ('only in a')`;
      expect(await a.sql`SELECT v FROM t`).toEqual([{ v: "only in a" }]);
      await expect(b.sql`SELECT v FROM t`).rejects.toThrow('relation "t" does not exist');
      const viaUrl = new SQL(a.url);
      expect((await viaUrl`SELECT current_schema() AS s`)[0].s).toBe(a.name);
      await viaUrl.close();
    } finally {
      await a.drop();
      await b.drop();
    }
    expect(await schemaExists(a.name)).toBe(false);
    expect(await schemaExists(b.name)).toBe(false);
  });

  test("pgDump holds the schema's rows, and only that schema's; restoreDump brings them back", async () => {
    const a = await createTestSchema();
    const b = await createTestSchema();
    try {
      await a.sql`CREATE TABLE t (v text)`;
      await a.sql`INSERT INTO t VALUES ('canary-in-a')`;
      await b.sql`CREATE TABLE t (v text)`;
      await b.sql`INSERT INTO t VALUES ('canary-in-b')`;
      const dump = pgDump(a.name);
      expect(dump).toContain("canary-in-a");
      expect(dump).not.toContain("canary-in-b");
      const restored = await restoreDump(dump, a.name);
      try {
        expect(await restored.sql`SELECT v FROM t`).toEqual([{ v: "canary-in-a" }]);
      } finally {
        await restored.drop();
      }
    } finally {
      await a.drop();
      await b.drop();
    }
  });

  test("a migrated schema survives the round trip: rows, identity and the append-only triggers", async () => {
    const a = await createTestSchema();
    try {
      await migratePostgres(a.sql);
      await a.sql`INSERT INTO audit_log (at, actor, action, details, prev_hash, hash) VALUES (1, 'cli', 'x', '{}', '', 'h1')`;
      const restored = await restoreDump(pgDump(a.name), a.name);
      try {
        await restored.sql`INSERT INTO audit_log (at, actor, action, details, prev_hash, hash) VALUES (2, 'cli', 'y', '{}', 'h1', 'h2')`;
        const rows = await restored.sql`SELECT seq::int, action FROM audit_log ORDER BY seq`;
        expect(rows).toEqual([
          { seq: 1, action: "x" },
          { seq: 2, action: "y" },
        ]);
        await expect(restored.sql`UPDATE audit_log SET action = 'z'`).rejects.toThrow("audit_log is append-only");
        await expect(restored.sql`DELETE FROM audit_log`).rejects.toThrow("audit_log is append-only");
      } finally {
        await restored.drop();
      }
    } finally {
      await a.drop();
    }
  });
});
