import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { openPostgres, type Db, type PgHandle } from "../../src/db/client";
import { usageDaily, usageEvents } from "../../src/db/schema";
import { all } from "../../src/db/tx";
import { createRequestControls } from "../../src/requestControls";
import { createUsageWriter } from "../../src/usage/writer";
import { PRICED_MODEL } from "../helpers/billing";
import { makeTestEnv, type TestEnv } from "../helpers/deps";
import { createTestSchema, type TestSchema } from "../helpers/pg";
import { skipWithout } from "../helpers/services";
import { usageEvent } from "../helpers/usage";

describe.skipIf(skipWithout("postgres"))("§2 usage data: the batched writer on PostgreSQL", () => {
  let schema: TestSchema;
  let pg: PgHandle;
  let env: TestEnv;

  beforeAll(async () => {
    schema = await createTestSchema();
    pg = await openPostgres(schema.url);
    await pg.migrate();
    env = await makeTestEnv(PRICED_MODEL);
  });
  afterAll(async () => {
    await env.close();
    await pg.close();
    await schema.drop();
  });

  test("two flushes (each its own transaction and prepared statements) give every row and the summed day", async () => {
    const m = await createRequestControls({ ...env.deps });
    const db = pg.db as unknown as Db;
    const writer = createUsageWriter({
      db,
      dataKeys: env.deps.dataKeys,
      log: env.deps.log,
      metrics: m.metrics,
      spend: m.spend,
      pricesFor: () => ({ input: 1_000_000, output: 2_000_000, cachedInput: 1_000_000 }),
    });
    for (let i = 0; i < 5; i++) writer.record(usageEvent(i));
    await writer.flush();
    for (let i = 5; i < 7; i++) writer.record(usageEvent(i));
    writer.record(usageEvent(7, { outcome: "upstream_error", status: 502, outputTokens: 0 }));
    await writer.close();
    // The rows are in PostgreSQL itself.
    expect((await schema.sql`SELECT count(*)::int AS n FROM usage_events`)[0].n).toBe(8);
    const rows = await all(db.select().from(usageEvents));
    expect(rows.map((r) => r.id).sort()).toEqual(Array.from({ length: 8 }, (_, i) => usageEvent(i).requestId));
    expect(rows.find((r) => r.id === usageEvent(7).requestId)).toMatchObject({ status: 502, stream: true });
    const daily = await all(db.select().from(usageDaily));
    expect(daily).toHaveLength(1);
    expect(daily[0]).toMatchObject({
      requests: 8,
      errors: 1,
      outputTokens: rows.reduce((s, r) => s + r.outputTokens, 0),
      costMicros: rows.reduce((s, r) => s + r.costMicros, 0),
    });
  });
});
