/**
 * CI's PostgreSQL and Redis answer, or CI stops here with the reason: the suites that need them
 * must never be skipped in CI. Names host and port only (a URL may carry a password).
 */
import { RedisClient, SQL } from "bun";

const LIMIT_MS = 10_000;

const where = (url: string) => {
  const u = new URL(url);
  return `${u.hostname}:${u.port || "default port"}`;
};

async function reach(name: string, variable: string, probe: (url: string) => Promise<unknown>): Promise<boolean> {
  const url = process.env[variable];
  if (!url) {
    console.error(`${variable} is not set`);
    return false;
  }
  const timeout = new Promise((_, reject) =>
    setTimeout(() => reject(new Error(`no answer in ${LIMIT_MS} ms`)), LIMIT_MS),
  );
  try {
    await Promise.race([probe(url), timeout]);
    console.log(`${name} at ${where(url)}: reachable`);
    return true;
  } catch (err) {
    const reason = err instanceof Error ? err.message.split("\n")[0] : String(err);
    console.error(`${name} at ${where(url)} (${variable}) is unreachable: ${reason}`);
    return false;
  }
}

const postgres = await reach("PostgreSQL", "KRIORA_TEST_DATABASE_URL", async (url) => {
  const sql = new SQL(url, { connectionTimeout: LIMIT_MS / 1000 });
  await sql`select 1`;
  await sql.close();
});
const redis = await reach("Redis", "KRIORA_TEST_REDIS_URL", async (url) => {
  const client = new RedisClient(url, { autoReconnect: false, connectionTimeout: LIMIT_MS });
  if ((await client.send("PING", [])) !== "PONG") throw new Error("PING did not answer PONG");
  client.close();
});
process.exit(postgres && redis ? 0 : 1);
