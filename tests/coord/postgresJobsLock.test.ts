import { afterAll, describe, expect, test } from "bun:test";
import { postgresJobsLock } from "../../src/db/jobsLock";
import { createTestSchema, type TestSchema } from "../helpers/pg";
import { skipWithout } from "../helpers/services";

// PostgreSQL without Redis: one instance only may run the shared jobs.
const schemas: TestSchema[] = [];
afterAll(async () => {
  for (const s of schemas) await s.drop();
});

describe.skipIf(skipWithout("postgres"))("the jobs lock on PostgreSQL", () => {
  test("a second session is refused while the first holds it, and gets it once the first is gone", async () => {
    const schema = await createTestSchema();
    schemas.push(schema);
    const first = postgresJobsLock(schema.url, "jobs");
    const second = postgresJobsLock(schema.url, "jobs");
    expect(await first.acquire()).toBe(true);
    expect(await second.acquire()).toBe(false);
    expect(second.held()).toBe(false);
    await first.release();
    expect(await second.acquire()).toBe(true);
    await second.release();
  });

  test("an instance that dies without releasing (its session cut) frees it", async () => {
    const schema = await createTestSchema();
    schemas.push(schema);
    const first = postgresJobsLock(schema.url, "jobs");
    const second = postgresJobsLock(schema.url, "jobs");
    expect(await first.acquire()).toBe(true);
    // Only the session holding this schema's lock (never anyone else's on the shared server).
    const key = `${schema.name}:kriora:jobs`;
    const cut = await schema.sql`SELECT pg_terminate_backend(pid) AS ok FROM pg_locks
      WHERE locktype = 'advisory' AND objid::text::bigint = (hashtext(${key})::bigint & 4294967295)`;
    expect(cut.length).toBe(1);
    let got = false;
    for (let i = 0; i < 50 && !got; i++) {
      got = await second.acquire();
      if (!got) await Bun.sleep(20);
    }
    expect(got).toBe(true);
    await second.release();
    await first.release();
  });

  test("another schema (another gateway on the same server) has its own lock", async () => {
    const [a, b] = [await createTestSchema(), await createTestSchema()];
    schemas.push(a, b);
    const locks = [postgresJobsLock(a.url, "jobs"), postgresJobsLock(b.url, "jobs")];
    expect(await Promise.all(locks.map((l) => l.acquire()))).toEqual([true, true]);
    for (const l of locks) await l.release();
  });
});
