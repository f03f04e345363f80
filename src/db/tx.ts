import { AsyncLocalStorage } from "node:async_hooks";
import type { Database } from "bun:sqlite";
import type { BunSQLiteDatabase } from "drizzle-orm/bun-sqlite";
import type * as schema from "./schema";

/** The drizzle database: the same sqlite-core tables on either engine (PostgreSQL runs them through bun-sql). */
export type Db = BunSQLiteDatabase<typeof schema>;

/**
 * The database or one of its open transactions: a write that takes a `Tx` joins the caller's
 * transaction when there is one, so it commits or rolls back with the rest. Services run
 * statements only through `all`, `one`, `exec` and `transaction` below, which work the same on
 * SQLite and PostgreSQL.
 */
export type Tx = Db;

type Rows<Q> = Q extends { all: (...a: never[]) => infer R } ? R : never;
type Row<Q> = Q extends { get: (...a: never[]) => infer R } ? R : never;

/** A drizzle query builder: awaitable, and on SQLite also runnable synchronously. */
interface Query {
  then: PromiseLike<unknown>["then"];
}

/** Runs SQLite builders synchronously on its one connection, transactions one at a time. */
interface SqliteRunner {
  sqlite: Database;
  /** The handle given to transaction callbacks (a second drizzle instance on the same connection). */
  txSession: object;
  tx: Db;
  /** Held by the open transaction, or by a waiting statement whose turn came. */
  busy: boolean;
  /** Set while a transaction is open: its token (the callback's async context carries it too). */
  open: object | null;
  /** Transactions and root statements waiting for the open transaction to end, first come first served. */
  queue: (() => void)[];
}

const runners = new WeakMap<object, SqliteRunner>();
const inTransaction = new AsyncLocalStorage<object>();

const sessionOf = (q: unknown) => (q as { session?: object }).session;

/**
 * Route the statements of a SQLite drizzle instance (`root`) and of its transaction handle
 * (`tx`, a second instance on the same connection) through the helpers' one-at-a-time gate.
 */
export function registerSqlite(sqlite: Database, root: Db, tx: Db): void {
  const runner: SqliteRunner = { sqlite, txSession: sessionOf(tx)!, tx, busy: false, open: null, queue: [] };
  runners.set(sessionOf(root)!, runner);
  runners.set(runner.txSession, runner);
}

/** Take the gate: at once (undefined) when free, else a promise resolved when it is handed over. */
function acquire(r: SqliteRunner): Promise<void> | undefined {
  if (!r.busy) {
    r.busy = true;
    return undefined;
  }
  if (r.open !== null && inTransaction.getStore() === r.open)
    throw new Error(
      "a statement on the root database inside its own transaction would wait forever: use the tx handle",
    );
  return new Promise((resolve) => r.queue.push(resolve));
}

/** Hand the gate to the next waiter, or free it. */
function release(r: SqliteRunner): void {
  const next = r.queue.shift();
  if (next) next();
  else r.busy = false;
}

/**
 * Run `run` once no other transaction is open: statements on the root handle never see, join
 * or roll back with another request's transaction. Statements on the transaction handle run at once.
 */
async function onSqlite<T>(r: SqliteRunner, q: Query, run: () => T): Promise<T> {
  if (sessionOf(q) === r.txSession) {
    if (r.open === null) throw new Error("a transaction handle was used after its transaction ended");
    return run();
  }
  if (!r.busy) return run();
  await acquire(r);
  try {
    return run();
  } finally {
    release(r);
  }
}

/** All rows of a query (a select, or a write with `.returning()`). */
export function all<Q extends Query & { all: (...a: never[]) => unknown[] }>(q: Q): Promise<Rows<Q>> {
  const r = runners.get(sessionOf(q)!);
  if (r) return onSqlite(r, q, () => (q.all as () => Rows<Q>)());
  return Promise.resolve(q).then((rows) => rows as Rows<Q>);
}

/** The first row of a query, or undefined. */
export function one<Q extends Query & { get: (...a: never[]) => unknown }>(q: Q): Promise<Row<Q>> {
  const r = runners.get(sessionOf(q)!);
  if (r) return onSqlite(r, q, () => (q.get as () => Row<Q>)());
  return Promise.resolve(q).then((rows) => (rows as Row<Q>[])[0] as Row<Q>);
}

/** Run a write; returns how many rows it changed. */
export function exec<Q extends Query & { run: (...a: never[]) => unknown }>(q: Q): Promise<number> {
  const r = runners.get(sessionOf(q)!);
  if (r) return onSqlite(r, q, () => (q.run as () => { changes: number })().changes);
  return Promise.resolve(q).then((res) => rowCount(res));
}

/** PostgreSQL (Bun.sql) results carry the affected row count as `count`. */
function rowCount(res: unknown): number {
  const count = (res as { count?: number | string } | null)?.count;
  return count === undefined || count === null ? 0 : Number(count);
}

/**
 * Run `fn` in a transaction: committed when it resolves, rolled back when it throws, also after
 * awaits. Called with a transaction handle, `fn` joins that transaction. On SQLite (one
 * connection) transactions run one at a time under `BEGIN IMMEDIATE`; drizzle's own bun-sqlite
 * `transaction` would commit as soon as an async callback returned its promise.
 */
export async function transaction<T>(db: Tx, fn: (tx: Tx) => Promise<T>): Promise<T> {
  const r = runners.get(sessionOf(db)!);
  if (!r) {
    const begin = (db as unknown as { transaction(f: (tx: Tx) => Promise<T>): Promise<T> }).transaction;
    return begin.call(db, fn);
  }
  if (db === r.tx) {
    if (r.open === null) throw new Error("a transaction handle was used after its transaction ended");
    return fn(db);
  }
  const wait = await acquire(r);
  if (wait) await wait;
  const token = {};
  r.open = token;
  try {
    r.sqlite.run("BEGIN IMMEDIATE");
    const result = await inTransaction.run(token, () => fn(r.tx));
    r.sqlite.run("COMMIT");
    return result;
  } catch (err) {
    if (r.sqlite.inTransaction) r.sqlite.run("ROLLBACK");
    throw err;
  } finally {
    r.open = null;
    release(r);
  }
}

/** A write whose values are `sql.placeholder(name)`s: prepared once, then run with each row's values. */
interface Preparable {
  prepare(): { execute(values: Record<string, unknown>): PromiseLike<unknown> };
}

/**
 * A write built once per transaction handle and run for many rows inside a transaction:
 * `build(tx)` makes the statement with `sql.placeholder(name)` values, and the returned function
 * runs it with one row's values. Building a statement costs far more than running it (drizzle
 * turns every value into SQL text), so a batch of rows pays for one build, not one per row. On
 * SQLite the transaction handle is the same object every time, so the statement is prepared once;
 * on PostgreSQL once per transaction.
 */
export function preparedWrite(
  build: (tx: Tx) => Preparable,
): (tx: Tx, values: Record<string, unknown>) => Promise<void> {
  const prepared = new WeakMap<object, ReturnType<Preparable["prepare"]>>();
  return async (tx, values) => {
    let statement = prepared.get(tx);
    if (!statement) {
      statement = build(tx).prepare();
      prepared.set(tx, statement);
    }
    await statement.execute(values);
  };
}
