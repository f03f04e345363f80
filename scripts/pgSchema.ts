import { is, SQL } from "drizzle-orm";
import {
  getTableConfig,
  SQLiteBoolean,
  SQLiteSyncDialect,
  SQLiteTable,
  type SQLiteColumn,
} from "drizzle-orm/sqlite-core";
import * as schema from "../src/db/schema";

/**
 * The PostgreSQL form of the drizzle schema, derived from the sqlite-core table definitions
 * (src/db/schema, one definition per table): what `scripts/pgMigrations.ts` writes migrations
 * for, and what `tests/db/drift.test.ts` holds both databases to. Storage has the same shape in
 * both dialects: integers (booleans as 0/1 included) are int8, text (JSON included) is text.
 */
export interface PgColumn {
  name: string;
  type: string;
  notNull: boolean;
  /** The default as a SQL expression, or null. */
  default: string | null;
  /** A single integer primary key: SQLite assigns it when omitted (rowid), PostgreSQL by identity. */
  identity: boolean;
}

export interface PgIndex {
  name: string;
  columns: string[];
  unique: boolean;
  where: string | null;
}

export interface PgForeignKey {
  name: string;
  columns: string[];
  refTable: string;
  refColumns: string[];
  onDelete: string;
}

export interface PgTable {
  name: string;
  columns: PgColumn[];
  primaryKey: { name: string; columns: string[] };
  uniques: { name: string; columns: string[] }[];
  indexes: PgIndex[];
  foreignKeys: PgForeignKey[];
  checks: { name: string; sql: string }[];
}

const TYPES: Record<string, string> = {
  integer: "bigint",
  text: "text",
  real: "double precision",
  numeric: "numeric",
  blob: "bytea",
};

const dialect = new SQLiteSyncDialect();

function render(value: SQL, where: string): string {
  const query = dialect.sqlToQuery(value);
  if (query.params.length > 0) throw new Error(`${where}: write the expression as literal SQL (no parameters)`);
  return query.sql;
}

const quoteString = (s: string) => `'${s.replaceAll("'", "''")}'`;

function defaultOf(column: SQLiteColumn, where: string): string | null {
  const value: unknown = column.default;
  if (value === undefined || value === null) return null;
  if (is(value, SQL)) return render(value, where);
  if (is(column, SQLiteBoolean)) return value ? "1" : "0";
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  if (typeof value === "string") return quoteString(value);
  return quoteString(JSON.stringify(value));
}

/** Every table of the schema, in PostgreSQL terms, sorted by name. */
export function pgSchemaOf(tables: SQLiteTable[] = schemaTables()): PgTable[] {
  return tables.map(pgTableOf).sort((a, b) => a.name.localeCompare(b.name));
}

export function schemaTables(): SQLiteTable[] {
  return (Object.values(schema) as unknown[]).filter((v): v is SQLiteTable => is(v, SQLiteTable));
}

function pgTableOf(table: SQLiteTable): PgTable {
  const config = getTableConfig(table);
  const t = config.name;
  const singlePk = config.columns.filter((c) => c.primary);
  const compositePk = config.primaryKeys[0];
  if (singlePk.length + config.primaryKeys.length !== 1) throw new Error(`${t}: exactly one primary key expected`);
  const pkColumns = compositePk ? compositePk.columns.map((c) => c.name) : [singlePk[0]!.name];
  const columns = config.columns.map(
    (c): PgColumn => ({
      name: c.name,
      type: TYPES[c.getSQLType()] ?? fail(`${t}.${c.name}: no PostgreSQL type for ${c.getSQLType()}`),
      notNull: c.notNull || pkColumns.includes(c.name),
      default: defaultOf(c, `${t}.${c.name} default`),
      identity: !compositePk && c.primary && c.getSQLType() === "integer",
    }),
  );
  const uniques = [
    ...config.columns.filter((c) => c.isUnique).map((c) => ({ name: c.uniqueName!, columns: [c.name] })),
    ...config.uniqueConstraints.map((u) => ({ name: u.getName()!, columns: u.columns.map((c) => c.name) })),
  ];
  const indexes = config.indexes.map(({ config: ix }): PgIndex => {
    const cols = ix.columns.map((c) =>
      is(c, SQL) ? fail(`${t}.${ix.name}: expression indexes are not supported`) : c.name,
    );
    return {
      name: ix.name,
      columns: cols,
      unique: ix.unique,
      where: ix.where ? render(ix.where, `${ix.name} where`) : null,
    };
  });
  const foreignKeys = config.foreignKeys.map((fk): PgForeignKey => {
    const ref = fk.reference();
    return {
      name: fk.getName(),
      columns: ref.columns.map((c) => c.name),
      refTable: getTableConfig(ref.foreignTable).name,
      refColumns: ref.foreignColumns.map((c) => c.name),
      onDelete: fk.onDelete ?? "no action",
    };
  });
  const checks = config.checks.map((c) => ({ name: c.name, sql: render(c.value, `${c.name} check`) }));
  return {
    name: t,
    columns,
    primaryKey: { name: `${t}_pkey`, columns: pkColumns },
    uniques,
    indexes,
    foreignKeys,
    checks,
  };
}

function fail(message: string): never {
  throw new Error(message);
}
