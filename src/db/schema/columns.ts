import { entityKind } from "drizzle-orm";
import {
  integer as sqliteInteger,
  SQLiteInteger,
  SQLiteIntegerBuilder,
  type AnySQLiteTable,
  type SQLiteBooleanBuilderInitial,
  type SQLiteIntegerBuilderInitial,
} from "drizzle-orm/sqlite-core";

/**
 * An integer column that reads the same in both dialects. On PostgreSQL it is an int8, which Bun's
 * SQL client returns as a string (to keep precision past 2^53); this column turns it back into a
 * number, so a row read from PostgreSQL equals the row read from SQLite. Every value the product
 * stores (milliseconds, micro-dollars, token counts) is far below 2^53.
 */
class Int8<T extends ConstructorParameters<typeof SQLiteInteger>[1]> extends SQLiteInteger<never> {
  static override readonly [entityKind]: string = "KrioraInt8";

  constructor(table: AnySQLiteTable, config: T) {
    super(table, config as never);
  }

  override mapFromDriverValue(value: number | string): number {
    return typeof value === "string" ? Number(value) : value;
  }
}

class Int8Builder extends SQLiteIntegerBuilder<never> {
  static override readonly [entityKind]: string = "KrioraInt8Builder";

  override build(table: AnySQLiteTable) {
    return new Int8(table, this.config) as never;
  }
}

/**
 * The schema's `integer`: sqlite-core's own column (same SQL type, same inferred TS types, same
 * drizzle-kit snapshot), whose number mode also maps PostgreSQL's int8 strings to numbers. The
 * boolean mode is sqlite-core's, which already reads `"1"` and `1` alike (`Number(value) === 1`).
 * Schema files import `integer` from here, never from drizzle-orm/sqlite-core.
 */
export function integer<TName extends string>(name: TName): SQLiteIntegerBuilderInitial<TName>;
export function integer<TName extends string>(
  name: TName,
  config: { mode: "boolean" },
): SQLiteBooleanBuilderInitial<TName>;
export function integer(name: string, config?: { mode: "boolean" }): unknown {
  return config ? sqliteInteger(name, config) : new Int8Builder(name as never);
}
