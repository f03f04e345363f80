import { describe, expect, test } from "bun:test";
import { is } from "drizzle-orm";
import { getTableConfig, SQLiteTable, sqliteTable, text } from "drizzle-orm/sqlite-core";
import * as schema from "../../src/db/schema";
import type { ExportPart } from "../../src/db/erasure";
import { accounts } from "../../src/db/schema";
import { ExportModel } from "../../src/http/routes/privacySchemas";
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

type Declared = { table: SQLiteTable; export?: ExportPart };

// Policy §14 access: export must know every table that holds an account id too.
const unexported = (all: SQLiteTable[], rules: readonly Declared[]) =>
  all
    .filter((t) => holdsAccountId(t) && !rules.some((r) => r.table === t && r.export !== undefined))
    .map((t) => getTableConfig(t).name);

/** A dotted path (`usage.events`) names a property of the export document's schema. */
function inExportModel(path: string): boolean {
  let node: { properties?: Record<string, unknown> } = ExportModel;
  for (const part of path.split(".")) {
    const next = node.properties?.[part];
    if (next === undefined) return false;
    node = next as typeof node;
  }
  return true;
}

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

describe("export declarations (Policy §14 access)", () => {
  test("every table holding an account id declares where its rows appear in the export, or why not", () => {
    expect(unexported(tables, ERASURE_RULES)).toEqual([]);
  });

  test("every declared section is a path of the kriora.export/v1 document; a non-export says why", () => {
    const sections = ERASURE_RULES.flatMap((r) => ("sections" in r.export ? r.export.sections : []));
    expect(sections.length).toBeGreaterThan(10);
    expect(sections.filter((s) => !inExportModel(s))).toEqual([]);
    for (const r of ERASURE_RULES) if ("why" in r.export) expect(r.export.why.length).toBeGreaterThan(20);
  });

  test("every top-level section of the document is filled by a declared table, except its header and the audit entries", () => {
    const declared = new Set(
      ERASURE_RULES.flatMap((r) => ("sections" in r.export ? r.export.sections.map((s) => s.split(".")[0]) : [])),
    );
    // audit_log names accounts in actor/target/details rather than in an account_id column.
    const header = ["schema", "generated_at", "audit"];
    expect(Object.keys(ExportModel.properties).filter((k) => !declared.has(k) && !header.includes(k))).toEqual([]);
  });

  test("a table with no export declaration, and a section the document lacks, are found (positive control)", () => {
    const notes = sqliteTable("undeclared_notes", { id: text("id").primaryKey(), accountId: text("account_id") });
    const rules: Declared[] = [...ERASURE_RULES, { table: notes }];
    expect(unexported([...tables, notes], rules)).toEqual(["undeclared_notes"]);
    expect(inExportModel("usage.events")).toBe(true);
    expect(inExportModel("usage.notes")).toBe(false);
    expect(inExportModel("notes")).toBe(false);
  });
});
