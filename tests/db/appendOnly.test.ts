import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { migratePostgres } from "../../src/db/migrate";
import { createTestSchema, type TestSchema } from "../helpers/pg";
import { skipWithout } from "../helpers/services";

/**
 * The append-only triggers of the SQLite migrations, ported to PostgreSQL (drizzle-pg/0001): the
 * database refuses to edit or delete the audit trail (Policy §9), to edit or delete its anchors,
 * and to change a billing ledger row except for re-pointing its account (Policy §5, §8).
 */
describe.skipIf(skipWithout("postgres"))("PostgreSQL: append-only tables", () => {
  let pg: TestSchema;

  beforeAll(async () => {
    pg = await createTestSchema();
    await migratePostgres(pg.sql);
  });
  afterAll(() => pg.drop());

  beforeEach(async () => {
    await pg.sql.unsafe("ALTER TABLE audit_log DISABLE TRIGGER USER; ALTER TABLE audit_anchors DISABLE TRIGGER USER");
    await pg.sql.unsafe("DELETE FROM audit_log; DELETE FROM audit_anchors; DELETE FROM billing_ledger");
    await pg.sql.unsafe("ALTER TABLE audit_log ENABLE TRIGGER USER; ALTER TABLE audit_anchors ENABLE TRIGGER USER");
    for (const seq of [1, 2, 3])
      await pg.sql`INSERT INTO audit_log (seq, at, actor, action, details, prev_hash, hash)
                   VALUES (${seq}, ${1_700_000_000_000 + seq}, 'cli', 'test', '{}', 'p', ${`h${seq}`})`;
  });

  const refused = (statement: string, message: string) => expect(pg.sql.unsafe(statement)).rejects.toThrow(message);

  test("UPDATE of an audit entry is refused", async () => {
    await refused("UPDATE audit_log SET action = 'forged' WHERE seq = 2", "audit_log is append-only");
    await refused("UPDATE audit_log SET seq = seq + 10", "audit_log is append-only");
    const [row] = await pg.sql`SELECT action FROM audit_log WHERE seq = 2`;
    expect(row.action).toBe("test");
  });

  test("DELETE and TRUNCATE of audit entries are refused", async () => {
    await refused("DELETE FROM audit_log WHERE seq = 2", "audit_log is append-only");
    await refused("DELETE FROM audit_log", "audit_log is append-only");
    await refused("TRUNCATE audit_log", "audit_log is append-only");
    const [row] = await pg.sql`SELECT count(*)::int AS n FROM audit_log`;
    expect(row.n).toBe(3);
  });

  test("entries at or below an anchor may go (audit retention); newer ones may not; anchors are append-only", async () => {
    await pg.sql`INSERT INTO audit_anchors (seq, hash, entries, pruned_at) VALUES (2, 'h2', 2, 1)`;
    await pg.sql.begin(async (tx) => {
      await tx`DELETE FROM audit_log WHERE seq <= 2`;
    });
    await refused("DELETE FROM audit_log WHERE seq = 3", "audit_log is append-only");
    const rows = await pg.sql`SELECT seq FROM audit_log ORDER BY seq`;
    expect(rows.map((r: { seq: string }) => Number(r.seq))).toEqual([3]);
    await refused("UPDATE audit_anchors SET seq = 3", "audit_anchors is append-only");
    await refused("DELETE FROM audit_anchors", "audit_anchors is append-only");
    await refused("TRUNCATE audit_anchors", "audit_anchors is append-only");
  });

  test("a ledger row's amounts, kinds and references cannot change; its account can be re-pointed", async () => {
    await pg.sql`INSERT INTO billing_ledger (id, account_id, at, kind, amount_micros, ref)
                 VALUES ('l1', 'acc_1', 1, 'purchase', 5000000, 'cs_1')`;
    for (const change of [
      "amount_micros = 1",
      "kind = 'grant'",
      "ref = 'cs_2'",
      "at = 2",
      "id = 'l2'",
      "reason = 'x'",
      "requests = 1",
    ])
      await refused(`UPDATE billing_ledger SET ${change}`, "billing_ledger is append-only");
    await pg.sql`UPDATE billing_ledger SET account_id = 'acc_erased'`;
    const [row] = await pg.sql`SELECT account_id, amount_micros FROM billing_ledger`;
    expect(row).toEqual({ account_id: "acc_erased", amount_micros: "5000000" });
  });
});
