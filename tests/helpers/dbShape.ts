import type { Database } from "bun:sqlite";
import type { SQL } from "bun";
import type { PgTable } from "../../scripts/pgSchema";

/**
 * What a table is, in terms both dialects share, as sorted strings (so a difference reads as one
 * line in a test's diff): columns with type, nullability and default; the primary key; unique
 * constraints (and unique indexes without a WHERE); the other indexes; foreign keys; check names.
 */
export interface TableShape {
  columns: string[];
  primaryKey: string[];
  uniques: string[];
  indexes: string[];
  foreignKeys: string[];
  checks: string[];
}

export type DbShape = Record<string, TableShape>;

const MIGRATIONS_TABLE = "__drizzle_migrations";
/** Storage types by their PostgreSQL name (SQLite's integer is PostgreSQL's int8). */
const TYPE: Record<string, string> = { integer: "bigint", bigint: "bigint", text: "text" };

/** `'active'::text` → `'active'`, SQLite's `false` → `0`. */
const normDefault = (d: string | null) =>
  d === null
    ? ""
    : ` default ${d
        .replace(/::[a-z ]+$/, "")
        .replace(/^false$/, "0")
        .replace(/^true$/, "1")}`;
/** `(kind = 'purchase'::text)` and `kind = 'purchase'` alike. */
const normWhere = (w: string | null) => (w ? ` where ${w.replace(/::text|[()"\s]/g, "").toLowerCase()}` : "");

interface Parts {
  columns: { name: string; type: string; notNull: boolean; default: string | null }[];
  primaryKey: string[];
  /** Every index but the primary key's (UNIQUE constraints included: both dialects back them by one). */
  indexes: { name: string; columns: string[]; unique: boolean; where: string | null }[];
  foreignKeys: { columns: string[]; refTable: string; refColumns: string[]; onDelete: string }[];
  checks: string[];
}

function shapeOf(p: Parts): TableShape {
  const isUnique = (ix: Parts["indexes"][number]) => ix.unique && !ix.where;
  return {
    columns: p.columns
      .map(
        (c) =>
          `${c.name} ${TYPE[c.type.toLowerCase()] ?? c.type}${c.notNull ? " not null" : ""}${normDefault(c.default)}`,
      )
      .sort(),
    primaryKey: p.primaryKey,
    uniques: p.indexes
      .filter(isUnique)
      .map((ix) => `${ix.name}(${ix.columns.join(", ")})`)
      .sort(),
    indexes: p.indexes
      .filter((ix) => !isUnique(ix))
      .map((ix) => `${ix.name}(${ix.columns.join(", ")})${ix.unique ? " unique" : ""}${normWhere(ix.where)}`)
      .sort(),
    foreignKeys: p.foreignKeys
      .map(
        (f) =>
          `(${f.columns.join(", ")}) → ${f.refTable}(${f.refColumns.join(", ")}) on delete ${f.onDelete.toLowerCase()}`,
      )
      .sort(),
    checks: [...p.checks].sort(),
  };
}

/** The shape the drizzle definitions ask for (derived by scripts/pgSchema.ts). */
export function drizzleShape(tables: PgTable[]): DbShape {
  return Object.fromEntries(
    tables.map((t) => [
      t.name,
      shapeOf({
        columns: t.columns,
        primaryKey: t.primaryKey.columns,
        indexes: [...t.uniques.map((u) => ({ ...u, unique: true, where: null })), ...t.indexes],
        foreignKeys: t.foreignKeys,
        checks: t.checks.map((c) => c.name),
      }),
    ]),
  );
}

/** The shape of a migrated SQLite database, read from its catalogue. */
export function sqliteShape(db: Database): DbShape {
  const tables = db
    .query(`SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> ?`)
    .all(MIGRATIONS_TABLE) as { name: string; sql: string }[];
  const out: DbShape = {};
  for (const t of tables) {
    const info = db.query(`PRAGMA table_info("${t.name}")`).all() as {
      name: string;
      type: string;
      notnull: number;
      dflt_value: string | null;
      pk: number;
    }[];
    const indexList = db.query(`PRAGMA index_list("${t.name}")`).all() as {
      name: string;
      unique: number;
      origin: string;
    }[];
    const indexes = indexList
      .filter((ix) => ix.origin !== "pk")
      .map((ix) => {
        const cols = db.query(`PRAGMA index_info("${ix.name}")`).all() as { seqno: number; name: string }[];
        const sql = (
          db.query(`SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?`).get(ix.name) as {
            sql: string | null;
          } | null
        )?.sql;
        const where = sql?.match(/\bWHERE\b(.*)$/is)?.[1]?.trim() ?? null;
        return {
          name: ix.name,
          columns: cols.sort((a, b) => a.seqno - b.seqno).map((c) => c.name),
          unique: ix.unique === 1,
          where,
        };
      });
    const fks = db.query(`PRAGMA foreign_key_list("${t.name}")`).all() as {
      id: number;
      seq: number;
      table: string;
      from: string;
      to: string;
      on_delete: string;
    }[];
    const foreignKeys = [...new Set(fks.map((f) => f.id))].map((id) => {
      const parts = fks.filter((f) => f.id === id).sort((a, b) => a.seq - b.seq);
      return {
        columns: parts.map((f) => f.from),
        refTable: parts[0]!.table,
        refColumns: parts.map((f) => f.to),
        onDelete: parts[0]!.on_delete,
      };
    });
    out[t.name] = shapeOf({
      columns: info.map((c) => ({ name: c.name, type: c.type, notNull: c.notnull === 1, default: c.dflt_value })),
      primaryKey: info
        .filter((c) => c.pk > 0)
        .sort((a, b) => a.pk - b.pk)
        .map((c) => c.name),
      indexes,
      foreignKeys,
      checks: [...t.sql.matchAll(/CONSTRAINT\s+"([^"]+)"\s+CHECK/g)].map((m) => m[1]!),
    });
  }
  return out;
}

const DELETE_ACTIONS: Record<string, string> = {
  a: "no action",
  r: "restrict",
  c: "cascade",
  n: "set null",
  d: "set default",
};

/** The shape of the tables in the connection's current schema, read from PostgreSQL's catalogue. */
export async function postgresShape(sql: SQL): Promise<DbShape> {
  const columns = await sql`
    SELECT c.relname AS table, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
           a.attnotnull AS not_null, pg_get_expr(d.adbin, d.adrelid) AS default
    FROM pg_attribute a
    JOIN pg_class c ON c.oid = a.attrelid
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
    ORDER BY c.relname, a.attnum`;
  const indexes = await sql`
    SELECT t.relname AS table, i.relname AS name, x.indisprimary AS primary, x.indisunique AS unique,
           pg_get_expr(x.indpred, x.indrelid) AS where,
           ARRAY(SELECT a.attname FROM unnest(x.indkey) WITH ORDINALITY k(n, o)
                 JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.n ORDER BY k.o)::text[] AS columns
    FROM pg_index x
    JOIN pg_class i ON i.oid = x.indexrelid
    JOIN pg_class t ON t.oid = x.indrelid
    WHERE t.relnamespace = current_schema()::regnamespace`;
  const constraints = await sql`
    SELECT t.relname AS table, k.conname AS name, k.contype AS type, r.relname AS ref_table, k.confdeltype AS on_delete,
           ARRAY(SELECT a.attname FROM unnest(k.conkey) WITH ORDINALITY c(n, o)
                 JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = c.n ORDER BY c.o)::text[] AS columns,
           ARRAY(SELECT a.attname FROM unnest(k.confkey) WITH ORDINALITY c(n, o)
                 JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = c.n ORDER BY c.o)::text[] AS ref_columns
    FROM pg_constraint k
    JOIN pg_class t ON t.oid = k.conrelid
    LEFT JOIN pg_class r ON r.oid = k.confrelid
    WHERE t.relnamespace = current_schema()::regnamespace`;
  const names = [...new Set(columns.map((c: { table: string }) => c.table))].filter((n) => n !== MIGRATIONS_TABLE);
  const out: DbShape = {};
  for (const name of names as string[]) {
    const of = <T extends { table: string }>(rows: T[]) => rows.filter((r) => r.table === name);
    const ix = of(
      indexes as {
        table: string;
        name: string;
        primary: boolean;
        unique: boolean;
        where: string | null;
        columns: string[];
      }[],
    );
    const cons = of(
      constraints as {
        table: string;
        name: string;
        type: string;
        ref_table: string;
        on_delete: string;
        columns: string[];
        ref_columns: string[];
      }[],
    );
    out[name] = shapeOf({
      columns: of(
        columns as { table: string; name: string; type: string; not_null: boolean; default: string | null }[],
      ).map((c) => ({
        name: c.name,
        type: c.type,
        notNull: c.not_null,
        default: c.default,
      })),
      primaryKey: ix.find((i) => i.primary)?.columns ?? [],
      indexes: ix.filter((i) => !i.primary),
      foreignKeys: cons
        .filter((c) => c.type === "f")
        .map((c) => ({
          columns: c.columns,
          refTable: c.ref_table,
          refColumns: c.ref_columns,
          onDelete: DELETE_ACTIONS[c.on_delete]!,
        })),
      checks: cons.filter((c) => c.type === "c").map((c) => c.name),
    });
  }
  return out;
}

/** Trigger names by table, both dialects. */
export function sqliteTriggers(db: Database): string[] {
  const rows = db.query(`SELECT tbl_name AS t, name FROM sqlite_master WHERE type = 'trigger'`).all() as {
    t: string;
    name: string;
  }[];
  return rows.map((r) => `${r.t}.${r.name}`).sort();
}

export async function postgresTriggers(sql: SQL): Promise<string[]> {
  const rows = await sql`
    SELECT c.relname AS t, g.tgname AS name FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
    WHERE NOT g.tgisinternal AND c.relnamespace = current_schema()::regnamespace`;
  return (rows as { t: string; name: string }[]).map((r) => `${r.t}.${r.name}`).sort();
}
