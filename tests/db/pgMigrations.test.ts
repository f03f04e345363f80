import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BREAKPOINT, diffSchemas, generate, readJournal, readSnapshot } from "../../scripts/pgMigrations";
import { pgSchemaOf, type PgTable } from "../../scripts/pgSchema";

const current = () => pgSchemaOf();
const edit = (fn: (tables: PgTable[]) => void) => {
  const tables = structuredClone(current());
  fn(tables);
  return tables;
};
const table = (tables: PgTable[], name: string) => tables.find((t) => t.name === name)!;

describe("npm run db:generate:pg: the PostgreSQL migration generator", () => {
  let dir: string | undefined;
  afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

  test("from nothing: every table, its indexes, then the foreign keys (so order of tables does not matter)", () => {
    const statements = diffSchemas([], current());
    const creates = statements.filter((s) => s.startsWith("CREATE TABLE"));
    expect(creates.length).toBe(current().length);
    const firstFk = statements.findIndex((s) => s.includes("FOREIGN KEY"));
    expect(statements.slice(firstFk).every((s) => s.includes("FOREIGN KEY"))).toBe(true);
    expect(statements).toContain(
      `CREATE UNIQUE INDEX "billing_ledger_purchase_ref_idx" ON "billing_ledger" ("ref") WHERE kind = 'purchase';`,
    );
  });

  test("a new column, index, default and nullability become ALTER statements", () => {
    const after = edit((t) => {
      const accounts = table(t, "accounts");
      accounts.columns.push({ name: "locale", type: "text", notNull: true, default: "'en'", identity: false });
      accounts.columns.find((c) => c.name === "role")!.default = "'admin'";
      accounts.columns.find((c) => c.name === "verified_at")!.notNull = true;
      accounts.indexes.push({ name: "accounts_locale_idx", columns: ["locale"], unique: false, where: null });
    });
    expect(diffSchemas(current(), after)).toEqual([
      `ALTER TABLE "accounts" ALTER COLUMN "role" SET DEFAULT 'admin';`,
      `ALTER TABLE "accounts" ALTER COLUMN "verified_at" SET NOT NULL;`,
      `ALTER TABLE "accounts" ADD COLUMN "locale" text DEFAULT 'en' NOT NULL;`,
      `CREATE INDEX "accounts_locale_idx" ON "accounts" ("locale");`,
    ]);
  });

  test("a changed index or check is dropped and created again; dropping a column needs --allow-drop", () => {
    const after = edit((t) => {
      table(t, "sessions").indexes[0]!.columns = ["account_id", "expires_at"];
      table(t, "accounts").checks[0]!.sql = `"accounts"."status" IN ('active')`;
      table(t, "api_keys").columns = table(t, "api_keys").columns.filter((c) => c.name !== "tpm");
    });
    expect(() => diffSchemas(current(), after)).toThrow("column api_keys.tpm would be dropped");
    const statements = diffSchemas(current(), after, true);
    expect(statements).toContain(`ALTER TABLE "api_keys" DROP COLUMN "tpm";`);
    expect(statements).toContain(`DROP INDEX "sessions_account_idx";`);
    expect(statements).toContain(`CREATE INDEX "sessions_account_idx" ON "sessions" ("account_id", "expires_at");`);
    expect(statements).toContain(`ALTER TABLE "accounts" DROP CONSTRAINT "accounts_status_check";`);
    expect(statements).toContain(
      `ALTER TABLE "accounts" ADD CONSTRAINT "accounts_status_check" CHECK ("accounts"."status" IN ('active'));`,
    );
  });

  test("generate writes the SQL, a journal entry and the snapshot; run again, it has nothing to write", () => {
    dir = mkdtempSync(join(tmpdir(), "kriora-pggen-"));
    expect(generate({ name: "init", dir, now: 1000 })).toBe("0000_init");
    expect(generate({ name: "again", dir, now: 2000 })).toBeNull();
    expect(generate({ name: "triggers", custom: true, dir, now: 500 })).toBe("0001_triggers");
    expect(readJournal(dir).entries).toEqual([
      { idx: 0, when: 1000, tag: "0000_init" },
      { idx: 1, when: 1001, tag: "0001_triggers" },
    ]);
    expect(readSnapshot(dir)).toEqual(current());
    // A fresh first migration creates everything the committed ones create (later tables included).
    const statements = (file: string) =>
      readFileSync(file, "utf8")
        .split(BREAKPOINT)
        .map((s) => s.trim());
    const fresh = new Set(statements(join(dir, "0000_init.sql")));
    const committed = ["0000_init", "0002_data_keys"].flatMap((tag) =>
      statements(join(import.meta.dir, `../../drizzle-pg/${tag}.sql`)),
    );
    expect(committed.filter((s) => !fresh.has(s))).toEqual([]);
  });
});
