import { skipWithout } from "../helpers/services";
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAuditTrail } from "../../src/audit/audit";
import { createBilling } from "../../src/billing/billing";
import { loadConfig } from "../../src/config/load";
import type { Coordination } from "../../src/coord/port";
import { openPostgres, type Db, type PgHandle } from "../../src/db/client";
import { PRICED_MODEL } from "../helpers/billing";
import { captureLog } from "../helpers/deps";
import { STRIPE_ENV, startFakeStripe } from "../helpers/fakeStripe";
import { createTestSchema, type TestSchema } from "../helpers/pg";
import { IMPLEMENTATIONS, dropPrefix, manualClock, testRedisUrl, uniquePrefix } from "./redisTest";

// PostgreSQL hands out `seq` when a row is inserted, not when it commits: the prepaid wallet
// (in memory and in Redis) must count a row whose lower seq commits after a higher one was read.
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.splice(0)) await c();
});

const ledgerRow = (sql: PgHandle["sql"], id: string, kind: string, micros: number) =>
  sql`INSERT INTO billing_ledger (id, account_id, at, kind, amount_micros, reason)
      VALUES (${id}, 'acct_p', ${Date.now()}, ${kind}, ${micros}, 'test') RETURNING seq`;

describe.skipIf(skipWithout("postgres"))("the prepaid wallet on PostgreSQL, rows committing out of seq order", () => {
  for (const impl of IMPLEMENTATIONS) {
    test(`${impl.name}: a credit with a lower seq committed after the wallet read a higher one is admitted, once`, async () => {
      const schema: TestSchema = await createTestSchema();
      const pg = await openPostgres(schema.url);
      const dir = mkdtempSync(join(tmpdir(), "kriora-wallet-"));
      const prefix = uniquePrefix("order");
      const clock = manualClock();
      const fake = startFakeStripe();
      const coord: Coordination = impl.open(clock, prefix);
      cleanups.push(async () => {
        await coord.close();
        if (impl.name === "redis" && testRedisUrl) await dropPrefix(testRedisUrl, prefix);
        await pg.close();
        await schema.drop();
        rmSync(dir, { recursive: true, force: true });
        fake.stop();
      });
      await pg.migrate();
      const file = join(dir, "kriora.toml");
      writeFileSync(file, `[billing]\nmode = "prepaid"\n${PRICED_MODEL}`);
      const config = loadConfig({ file, dataDir: join(dir, "data"), env: {} });
      const db = pg.db as unknown as Db;
      // Two gateway instances on one database and one wallet: each sees the late row and forwards it.
      const second = impl.name === "redis" ? impl.open(clock, prefix) : coord;
      if (second !== coord) cleanups.push(() => second.close());
      const instance = (c: Coordination) =>
        createBilling({
          config,
          db,
          clock,
          log: captureLog(),
          audit: createAuditTrail(db, clock),
          wallets: c.wallets,
          env: STRIPE_ENV,
          stripe: fake.endpoint,
        });
      const billings = [await instance(coord), await instance(second)];
      expect(billings.map((b) => b.mode)).toEqual(["prepaid", "prepaid"]);

      await ledgerRow(schema.sql, "led_1", "grant", 100);
      const slow = await schema.sql.reserve();
      const fast = await schema.sql.reserve();
      try {
        await slow`BEGIN`;
        const [low] = await ledgerRow(slow, "led_2", "grant", 1_000);
        const [high] = await ledgerRow(fast, "led_3", "adjustment", -50);
        expect(Number(low.seq)).toBeLessThan(Number(high.seq));
        // Both read seq 3 (100 − 50) while seq 2 is not committed yet; the wallet is seeded so.
        expect(await billings[0].admit("acct_p", "r1", 100)).toBeNull();
        expect(await billings[1].balance("acct_p")).toBe(50n);
        await slow`COMMIT`;
      } finally {
        slow.release();
        fast.release();
      }
      expect(await Promise.all(billings.map((b) => b.balance("acct_p")))).toEqual([1_050n, 1_050n]);
      // 1 050 with 100 held: ten more holds of 100 (the last leaves 1 050 − 1 000 > 0), then none.
      const verdicts: boolean[] = [];
      for (let i = 2; i <= 13; i++) verdicts.push((await billings[i % 2].admit("acct_p", `r${i}`, 100)) === null);
      expect(verdicts.filter(Boolean).length).toBe(10);
      expect(verdicts.slice(10)).toEqual([false, false]);
    });
  }
});
