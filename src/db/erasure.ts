import { eq } from "drizzle-orm";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import { exec, type Tx } from "./tx";

/** What one erasure knows when it sweeps the tables: the account, its keys and address index, one tombstone. */
export interface ErasureScope {
  accountId: string;
  keyIds: string[];
  /** The account's email blind index before erasure (null when it had none). */
  emailIndex: string | null;
  /** The fresh random id that rows kept under legal hold move to (Policy §8). */
  tombstone: string;
  now: number;
}

/**
 * Where a table's rows appear in the `kriora.export/v1` document (Policy §14 access): the
 * dotted paths of its sections (`usage.events`, `consents.usage_trends_objection_at`), or not
 * exported, with why.
 */
export type ExportPart = { sections: readonly string[] } | { why: string };

/**
 * What erasure does with the rows of one table that are about an account, declared by the
 * domain that owns the table: `delete` them, move them to the `tombstone` (legal hold), `scrub`
 * the account row, or `keep` them (with why). `erase` runs inside the erasure transaction and
 * returns how many rows it changed. `export` says where its rows appear in the export document.
 */
export type ErasureRule = { table: SQLiteTable; export: ExportPart } & (
  | { action: "delete" | "tombstone" | "scrub"; erase: (tx: Tx, scope: ErasureScope) => Promise<number> }
  | { action: "keep"; why: string }
);

/** An `erase` that deletes the rows whose `column` is the account id. */
export const deleteByAccount =
  (table: SQLiteTable, column: SQLiteColumn) =>
  (tx: Tx, { accountId }: Pick<ErasureScope, "accountId">): Promise<number> =>
    exec(tx.delete(table).where(eq(column, accountId)));
