import { Database } from "bun:sqlite";
import type { SQL } from "bun";
import { createKeyWrap } from "../../src/crypto/dataKeys";
import { createFieldCipher, type FieldLocation } from "../../src/crypto/fields";
import { loadOrCreateMasterKey, masterKeyring } from "../../src/crypto/masterKey";
import { createDataKeys } from "../../src/db/dataKeys";
import type { Deps } from "../../src/deps";

/** One encrypted personal field found in a copy of the database: whose it is, where it sat, its ciphertext. */
export interface CopiedCell {
  owner: string;
  where: FieldLocation;
  ciphertext: string;
}

/** The queries that list every personal ciphertext: emails, IPs, pending address changes, sign-up links. */
export const PERSONAL_CELLS = [
  { table: "accounts", column: "email_enc", sql: "SELECT id, id AS owner, email_enc AS c FROM accounts" },
  { table: "usage_events", column: "ip", sql: "SELECT id, account_id AS owner, ip_enc AS c FROM usage_events" },
  {
    table: "email_changes",
    column: "email_enc",
    sql: "SELECT id, account_id AS owner, email_enc AS c FROM email_changes",
  },
  { table: "magic_links", column: "email_enc", sql: "SELECT id, id AS owner, email_enc AS c FROM magic_links" },
] as const;

type CellRow = { id: string; owner: string; c: string | null };

/** Turn query rows of PERSONAL_CELLS into cells (null ciphertexts are not cells). */
export function toCells(spec: (typeof PERSONAL_CELLS)[number], rows: CellRow[]): CopiedCell[] {
  return rows
    .filter((r) => r.c !== null)
    .map((r) => ({ owner: r.owner, ciphertext: r.c!, where: { table: spec.table, column: spec.column, rowId: r.id } }));
}

/** Every personal ciphertext in a copy of the SQLite file. */
export function cellsOfSqliteCopy(path: string): CopiedCell[] {
  const copy = new Database(path, { readonly: true });
  try {
    return PERSONAL_CELLS.flatMap((spec) => toCells(spec, copy.query<CellRow, []>(spec.sql).all()));
  } finally {
    copy.close();
  }
}

/**
 * What someone holding an old copy recovers with the keys that exist now: the master key file,
 * and the data keys in the CURRENT database (through a fresh key store, so no cache of the
 * running process helps). Each cell is tried under its owner's data key and under the
 * master-derived field key; returns every plaintext that decrypted.
 */
export async function recoverWithCurrentKeys(deps: Deps, cells: CopiedCell[]): Promise<string[]> {
  const ring = masterKeyring(loadOrCreateMasterKey(deps.config.security.master_key_file));
  const keys = createDataKeys(createKeyWrap(ring));
  const fieldCipher = createFieldCipher(ring);
  const recovered: string[] = [];
  for (const cell of cells) {
    for (const attempt of [
      async () => (await keys.get(deps.db, cell.owner))?.decrypt(cell.ciphertext, cell.where),
      async () => fieldCipher.decrypt(cell.ciphertext, cell.where),
    ]) {
      try {
        const plain = await attempt();
        if (plain !== undefined) recovered.push(plain);
      } catch {
        // Not readable this way: that is what erasure must achieve.
      }
    }
  }
  return recovered;
}

/** Every personal ciphertext in a PostgreSQL schema (e.g. a `pg_dump` restored with `restoreDump`). */
export async function cellsOfPgSchema(sql: SQL): Promise<CopiedCell[]> {
  const cells: CopiedCell[] = [];
  for (const spec of PERSONAL_CELLS) cells.push(...toCells(spec, (await sql.unsafe(spec.sql)) as CellRow[]));
  return cells;
}
