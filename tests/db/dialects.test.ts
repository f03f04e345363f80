import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { asc, eq, getTableColumns, sql } from "drizzle-orm";
import { SQLiteBaseInteger, SQLiteBoolean } from "drizzle-orm/sqlite-core";
import { openDatabase, openPostgres, type Db, type PgHandle, type SqliteHandle } from "../../src/db/client";
import { migrate } from "../../src/db/migrate";
import { accounts, billingLedger, usageDaily, usageEvents } from "../../src/db/schema";
import { schemaTables } from "../../scripts/pgSchema";
import { createTestSchema, type TestSchema } from "../helpers/pg";
import { skipWithout } from "../helpers/services";

const BIG = 1_764_590_000_123; // a millisecond timestamp: past int4, as PostgreSQL's int8 returns it (a string)

describe("integer columns read the same from either driver", () => {
  test("every number column maps the int8 string PostgreSQL returns to a number; booleans read '1' and 1 alike", () => {
    let numbers = 0;
    for (const table of schemaTables())
      for (const [name, column] of Object.entries(getTableColumns(table))) {
        if (!(column instanceof SQLiteBaseInteger)) continue;
        const where = `${name} of ${column.table[Symbol.for("drizzle:Name") as never]}`;
        if (column instanceof SQLiteBoolean) {
          expect({ where, value: column.mapFromDriverValue("1" as never) }).toEqual({ where, value: true });
          expect({ where, value: column.mapFromDriverValue("0" as never) }).toEqual({ where, value: false });
        } else {
          numbers++;
          expect({ where, value: column.mapFromDriverValue(String(BIG) as never) }).toEqual({ where, value: BIG });
          expect({ where, value: column.mapFromDriverValue(-5 as never) }).toEqual({ where, value: -5 });
        }
      }
    expect(numbers).toBeGreaterThan(50);
  });
});

const account = {
  id: "acc_1",
  emailEnc: "enc",
  emailIndex: "idx",
  status: "restricted" as const,
  suspendedFrom: null,
  role: "admin" as const,
  ageConfirmedAt: BIG,
  policyVersion: "2025-02-27",
  policyAcceptedAt: BIG + 1,
  verifiedAt: null,
  requireZdr: true,
  regions: ["eu", "us"],
  createdAt: BIG,
  updatedAt: BIG + 2,
};

const event = {
  id: "req_1",
  at: BIG,
  accountId: "acc_1",
  keyId: null,
  ipEnc: null,
  model: "m",
  provider: "p",
  endpoint: "/v1/chat/completions",
  stream: false,
  status: 200,
  outcome: "ok",
  inputTokens: 3_000_000_000,
  outputTokens: 7,
  cachedInputTokens: 0,
  estimated: true,
  costMicros: -12,
  latencyMs: 15,
  errorType: null,
  errorCode: null,
};

const day = {
  day: "2025-12-01",
  accountId: "acc_1",
  model: "m",
  requests: 1,
  inputTokens: 10,
  outputTokens: 20,
  cachedInputTokens: 0,
  costMicros: 30,
  errors: 0,
};

/** The same writes through drizzle on either database; what comes back is compared across dialects. */
async function exercise(db: Db) {
  await db.insert(accounts).values(account);
  await db.insert(usageEvents).values(event);
  const inserted = await db
    .insert(billingLedger)
    .values([
      { id: "l1", accountId: "acc_1", at: BIG, kind: "purchase", amountMicros: 5_000_000_000, ref: "cs_1" },
      { id: "l2", accountId: "acc_1", at: BIG + 1, kind: "usage", amountMicros: -30, requests: 1 },
    ])
    .returning();
  for (const n of [1, 2])
    await db
      .insert(usageDaily)
      .values(day)
      .onConflictDoUpdate({
        target: [usageDaily.day, usageDaily.accountId, usageDaily.model],
        set: { requests: sql`${usageDaily.requests} + ${n}`, costMicros: sql`${usageDaily.costMicros} + 30` },
      });
  await db
    .update(accounts)
    .set({ requireZdr: false, updatedAt: BIG + 3 })
    .where(eq(accounts.id, "acc_1"));
  return {
    inserted,
    accounts: await db.select().from(accounts),
    events: await db.select().from(usageEvents),
    ledger: await db.select().from(billingLedger).orderBy(asc(billingLedger.seq)),
    daily: await db.select().from(usageDaily),
  };
}

describe.skipIf(skipWithout("postgres"))("rows are identical in SQLite and PostgreSQL", () => {
  let dir: string;
  let lite: SqliteHandle;
  let schema: TestSchema;
  let pg: PgHandle;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "kriora-dialects-"));
    lite = openDatabase(join(dir, "kriora.db"));
    migrate(lite.sqlite);
    schema = await createTestSchema();
    pg = await openPostgres(schema.url);
    await pg.migrate();
  });

  afterAll(async () => {
    await lite.close();
    rmSync(dir, { recursive: true, force: true });
    await pg.close();
    await schema.drop();
  });

  test("insert (with returning and on conflict), update and select give the same rows and types", async () => {
    const fromSqlite = await exercise(lite.db);
    const fromPostgres = await exercise(pg.db as unknown as Db);
    expect(fromPostgres).toEqual(fromSqlite);
    expect(fromPostgres.accounts[0]).toEqual({ ...account, requireZdr: false, updatedAt: BIG + 3 });
    expect(fromPostgres.events[0]).toEqual(event);
    expect(fromPostgres.ledger.map((r) => r.seq)).toEqual([1, 2]);
    expect(fromPostgres.daily[0]).toEqual({ ...day, requests: 3, costMicros: 60 });
  });

  test("storage has the same shape: booleans are 0/1 integers and JSON is text", async () => {
    const [row] = await schema.sql`SELECT require_zdr, regions FROM accounts WHERE id = 'acc_1'`;
    expect(row).toEqual({ require_zdr: "0", regions: '["eu","us"]' });
    const stored = lite.sqlite.query("SELECT require_zdr, regions FROM accounts WHERE id = 'acc_1'").get();
    expect(stored).toEqual({ require_zdr: 0, regions: '["eu","us"]' });
  });
});
