import { sql } from "drizzle-orm";
import type { Db } from "./client";

/**
 * The database or one of its open transactions: a write that takes a `Tx` joins the caller's
 * transaction when there is one, so it commits or rolls back with the rest.
 */
export type Tx = Db | Parameters<Parameters<Db["transaction"]>[0]>[0];

/** Rows changed by the last statement on this connection (drizzle's bun-sqlite `run()` returns nothing). */
export const changes = (tx: Tx) => tx.get<[number]>(sql`SELECT changes()`)![0];
