import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { openDatabase, type DbHandle } from "../../src/db/client";
import { all, exec, one, transaction } from "../../src/db/tx";

const items = sqliteTable("items", { id: text("id").primaryKey(), n: integer("n").notNull() });

let dir: string;
let handle: DbHandle;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "kriora-tx-"));
  handle = openDatabase(join(dir, "kriora.db"));
  handle.sqlite.run("CREATE TABLE items (id TEXT PRIMARY KEY, n INTEGER NOT NULL)");
});

afterEach(() => {
  handle.close();
  rmSync(dir, { recursive: true, force: true });
});

const ids = async () => (await all(handle.db.select().from(items).orderBy(items.id))).map((r) => r.id);
/** Lets other pending work (timers, other requests' promises) run, as real I/O would. */
const yieldToOthers = () => Bun.sleep(5);
class Boom extends Error {}

describe("transaction() on SQLite", () => {
  test("a throw after an await rolls back what was written before it", async () => {
    const attempt = transaction(handle.db, async (tx) => {
      await exec(tx.insert(items).values({ id: "a", n: 1 }));
      await yieldToOthers();
      await exec(tx.insert(items).values({ id: "b", n: 2 }));
      throw new Boom();
    });
    await expect(attempt).rejects.toBeInstanceOf(Boom);
    expect(await ids()).toEqual([]);
  });

  test("commits everything written across awaits when the callback resolves", async () => {
    const n = await transaction(handle.db, async (tx) => {
      await exec(tx.insert(items).values({ id: "a", n: 1 }));
      await yieldToOthers();
      return exec(tx.insert(items).values({ id: "b", n: 2 }));
    });
    expect(n).toBe(1);
    expect(await ids()).toEqual(["a", "b"]);
  });

  test("another request's statements on the root handle neither see nor roll back with an open transaction", async () => {
    let inside!: () => void;
    const opened = new Promise<void>((resolve) => {
      inside = resolve;
    });
    const failing = transaction(handle.db, async (tx) => {
      await exec(tx.insert(items).values({ id: "mine", n: 1 }));
      inside();
      await yieldToOthers();
      throw new Boom();
    });
    await opened;
    // Issued while the transaction above is open, by "another request".
    const read = one(handle.db.select().from(items).where(eq(items.id, "mine")));
    const write = exec(handle.db.insert(items).values({ id: "theirs", n: 2 }));
    await expect(failing).rejects.toBeInstanceOf(Boom);
    expect(await read).toBeUndefined();
    expect(await write).toBe(1);
    expect(await ids()).toEqual(["theirs"]);
  });

  test("concurrent transactions run one after the other: no lost update across awaits", async () => {
    await exec(handle.db.insert(items).values({ id: "counter", n: 0 }));
    const bump = () =>
      transaction(handle.db, async (tx) => {
        const row = await one(tx.select().from(items).where(eq(items.id, "counter")));
        await yieldToOthers();
        await exec(
          tx
            .update(items)
            .set({ n: row!.n + 1 })
            .where(eq(items.id, "counter")),
        );
      });
    await Promise.all([bump(), bump(), bump()]);
    expect((await one(handle.db.select().from(items).where(eq(items.id, "counter"))))!.n).toBe(3);
  });

  test("transaction() given a transaction handle joins it: a throw inside rolls back the outer writes", async () => {
    const attempt = transaction(handle.db, async (tx) => {
      await exec(tx.insert(items).values({ id: "outer", n: 1 }));
      await transaction(tx, async (inner) => {
        await exec(inner.insert(items).values({ id: "inner", n: 2 }));
        await yieldToOthers();
        throw new Boom();
      });
    });
    await expect(attempt).rejects.toBeInstanceOf(Boom);
    expect(await ids()).toEqual([]);
  });

  test("a statement on the root handle inside its own transaction fails clearly instead of waiting forever", async () => {
    const attempt = transaction(handle.db, async (tx) => {
      await exec(tx.insert(items).values({ id: "a", n: 1 }));
      await one(handle.db.select().from(items));
    });
    await expect(attempt).rejects.toThrow("inside its own transaction");
    expect(await ids()).toEqual([]);
  });

  test("a transaction handle used after its transaction ended is refused", async () => {
    let leaked!: typeof handle.db;
    await transaction(handle.db, async (tx) => {
      leaked = tx;
    });
    await expect(exec(leaked.insert(items).values({ id: "late", n: 1 }))).rejects.toThrow(
      "after its transaction ended",
    );
    expect(await ids()).toEqual([]);
  });

  test("exec returns the rows changed", async () => {
    await exec(
      handle.db.insert(items).values([
        { id: "a", n: 1 },
        { id: "b", n: 1 },
        { id: "c", n: 2 },
      ]),
    );
    expect(await exec(handle.db.update(items).set({ n: 5 }).where(eq(items.n, 1)))).toBe(2);
    expect(await exec(handle.db.delete(items).where(eq(items.id, "zzz")))).toBe(0);
  });
});
