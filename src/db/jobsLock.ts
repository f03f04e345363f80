import { SQL } from "bun";

/** A lock held by this process's own database session (`acquire` says whether it got it). */
interface SessionLock {
  held(): boolean;
  acquire(): Promise<boolean>;
  release(): Promise<void>;
}

/**
 * PostgreSQL without Redis: a session advisory lock tells a second `serve` on the same database
 * (and schema) that another instance runs the shared jobs. The lock lives as long as its own
 * connection, so an instance that dies (even killed -9) frees it with its session.
 */
export function postgresJobsLock(url: string, name: string): SessionLock {
  let sql: SQL | null = null;
  let held = false;
  return {
    held: () => held,
    async acquire() {
      if (held) return true;
      sql ??= new SQL(url, { max: 1, idleTimeout: 0 });
      const [row] = await sql`SELECT pg_try_advisory_lock(hashtext(current_schema() || ${`:kriora:${name}`})) AS ok`;
      held = row.ok === true;
      return held;
    },
    async release() {
      if (!sql) return;
      const session = sql;
      sql = null;
      // Closing the session would free the lock too, but the server may end it a moment later.
      if (held) await session`SELECT pg_advisory_unlock_all()`.catch(() => undefined);
      held = false;
      await session.close();
    },
  };
}
