import { describe, expect, test } from "bun:test";
import { is } from "drizzle-orm";
import { getTableConfig, SQLiteTable, sqliteTable, text } from "drizzle-orm/sqlite-core";
import * as schema from "../../src/db/schema";
import { accounts } from "../../src/db/schema";
import { ERASURE_RULES } from "../../src/privacy/eraseRows";

// Policy §8 / §14: erasure must know every table that holds an account id. A new table with an
// `account_id` column (or a reference to accounts.id) fails here until its domain registers a rule.
const tables: SQLiteTable[] = Object.values(schema as Record<string, unknown>).filter((x): x is SQLiteTable =>
  is(x, SQLiteTable),
);

function holdsAccountId(table: SQLiteTable): boolean {
  const config = getTableConfig(table);
  if (table === accounts) return true;
  if (config.columns.some((c) => c.name === "account_id")) return true;
  return config.foreignKeys.some((fk) => fk.reference().foreignColumns.some((c) => c === accounts.id));
}

const unruled = (all: SQLiteTable[]) =>
  all.filter((t) => holdsAccountId(t) && !ERASURE_RULES.some((r) => r.table === t)).map((t) => getTableConfig(t).name);

describe("erasure rules (Policy §8, §14)", () => {
  test("every table holding an account id has a registered erasure rule", () => {
    expect(tables.length).toBeGreaterThan(10);
    expect(unruled(tables)).toEqual([]);
  });

  test("each table has one rule only", () => {
    const names = ERASURE_RULES.map((r) => getTableConfig(r.table).name);
    expect(names.length).toBe(new Set(names).size);
  });

  test("a table with an account id and no rule is found (positive control)", () => {
    const byColumn = sqliteTable("unregistered_notes", { id: text("id").primaryKey(), accountId: text("account_id") });
    const byReference = sqliteTable("unregistered_refs", {
      id: text("id").primaryKey(),
      owner: text("owner").references(() => accounts.id),
    });
    const unrelated = sqliteTable("unrelated", { id: text("id").primaryKey() });
    expect(unruled([...tables, byColumn, byReference, unrelated])).toEqual(["unregistered_notes", "unregistered_refs"]);
  });
});
