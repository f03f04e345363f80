import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { RedisClient, SQL } from "bun";
import { cpuTicks } from "./procs";

/** Where the PostgreSQL + Redis scenario runs (`KRIORA_BENCH_DATABASE_URL` / `KRIORA_BENCH_REDIS_URL` override). */
const DATABASE_URL = process.env.KRIORA_BENCH_DATABASE_URL || "postgres://postgres@127.0.0.1:5432/test";
const REDIS_URL = process.env.KRIORA_BENCH_REDIS_URL || "redis://127.0.0.1:6379";
const PROBE_MS = 3_000;

/** The bench's own PostgreSQL schema and Redis key prefix, and how to see what Kriora left in them. */
export interface Backends {
  /** The `[database]` section that puts a gateway on the schema, and the `[redis]` one for the prefix. */
  database: string;
  redis: string;
  /** Rows in the schema's usage_events (0 when Kriora never made the table). */
  usageRows(): Promise<number>;
  /** Keys under the prefix, and the bytes Redis holds for them (MEMORY USAGE of each). */
  redisKeys(): Promise<{ keys: number; bytes: number }>;
  /** "N of M connections in use": PostgreSQL refuses new ones past M (other test suites share it). */
  connections(): Promise<string>;
  /** Drop the schema and delete the keys. */
  close(): Promise<void>;
}

/** `host:port` of a server URL: what a skip line may say (never the user or a password). */
const where = (url: string) => new URL(url).host;

function within<T>(what: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    what,
    Bun.sleep(ms).then(() => {
      throw new Error(`no answer within ${ms / 1000} s`);
    }),
  ]);
}

/** The first line of an error's message, short enough for a skip line. */
export const reason = (e: unknown) => (e instanceof Error ? e.message : String(e)).split("\n")[0]!.slice(0, 160);

/**
 * A fresh schema `kriora_bench_<random>` and key prefix `kriora_bench_<random>:` on the bench's
 * PostgreSQL and Redis, or why they cannot be had (a server unreachable).
 */
export async function openBackends(
  databaseUrl = DATABASE_URL,
  redisUrl = REDIS_URL,
): Promise<Backends | { skipped: string }> {
  const name = `kriora_bench_${randomBytes(6).toString("hex")}`;
  const prefix = `${name}:`;
  const admin = new SQL(databaseUrl, { max: 1, connectionTimeout: PROBE_MS / 1000 });
  try {
    await within(admin.unsafe(`CREATE SCHEMA ${name}`), PROBE_MS);
  } catch (e) {
    await admin.close().catch(() => {});
    return { skipped: `PostgreSQL at ${where(databaseUrl)} is unreachable (${reason(e)})` };
  }
  const redis = new RedisClient(redisUrl, { connectionTimeout: PROBE_MS, autoReconnect: false });
  try {
    await within(redis.send("PING", []), PROBE_MS);
  } catch (e) {
    redis.close();
    await admin.unsafe(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
    await admin.close();
    return { skipped: `Redis at ${where(redisUrl)} is unreachable (${reason(e)})` };
  }
  const url = new URL(databaseUrl);
  url.searchParams.set("search_path", name);
  const keys = async (each: (batch: string[]) => Promise<unknown>) => {
    let cursor = "0";
    do {
      const [next, batch] = (await redis.send("SCAN", [cursor, "MATCH", `${prefix}*`, "COUNT", "1000"])) as [
        string,
        string[],
      ];
      cursor = next;
      if (batch.length > 0) await each(batch);
    } while (cursor !== "0");
  };
  return {
    database: `[database]\nurl = "${url.href}"\n`,
    redis: `[redis]\nurl = "${redisUrl}"\nprefix = "${prefix}"\n`,
    async usageRows() {
      const [table] = await admin.unsafe(`SELECT to_regclass('${name}.usage_events') IS NOT NULL AS made`);
      if (!(table as { made: boolean }).made) return 0;
      const [row] = await admin.unsafe(`SELECT count(*)::int AS n FROM ${name}.usage_events`);
      return (row as { n: number }).n;
    },
    async redisKeys() {
      let n = 0;
      let bytes = 0;
      await keys(async (batch) => {
        n += batch.length;
        const each = await Promise.all(batch.map((key) => redis.send("MEMORY", ["USAGE", key])));
        for (const b of each) bytes += Number(b ?? 0);
      });
      return { keys: n, bytes };
    },
    async connections() {
      const [row] = await admin.unsafe(
        "SELECT (SELECT count(*) FROM pg_stat_activity)::int AS used, current_setting('max_connections') AS most",
      );
      const { used, most } = row as { used: number; most: string };
      return `${used} of ${most} connections in use`;
    },
    async close() {
      await keys((batch) => redis.send("DEL", batch));
      redis.close();
      await admin.unsafe(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
      await admin.close();
    },
  };
}

/**
 * CPU used so far by the PostgreSQL and Redis servers on this machine, in clock ticks: every
 * live `postgres` and `redis-server` process, plus what the postmaster's exited backends used.
 * Other users of the same servers are counted too.
 */
export function serverTicks(): number {
  let ticks = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue;
    }
    const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    if (comm !== "postgres" && comm !== "redis-server") continue;
    const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    const postmaster = comm === "postgres" && !isPostgres(parent);
    ticks += cpuTicks(Number(entry), postmaster);
  }
  return ticks;
}

function isPostgres(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim() === "postgres";
  } catch {
    return false;
  }
}
