import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { createAccount } from "../../src/accounts/accounts";
import { openDeps, type Deps } from "../../src/deps";
import { eraseAccount } from "../../src/privacy/erasure";
import { captureLog, makeTestEnv, type TestEnv } from "../helpers/deps";
import { dropPrefix, testRedisUrl, uniquePrefix } from "../helpers/redisMode";
import { exec } from "../../src/db/tx";
import { dataKeys } from "../../src/db/schema";
import { eq } from "drizzle-orm";
import { skipWithout } from "../helpers/services";

// Two instances on one database and one Redis: an erasure on one drops the other's cached data
// key through the invalidation feed, long before the cache's 60 s limit.
const prefix = uniquePrefix("datakeys");
let env: TestEnv | undefined;
let other: Deps | undefined;
afterEach(async () => {
  await other?.coord.close();
  await other?.handle.close();
  await env?.close();
});
afterAll(async () => {
  if (testRedisUrl) await dropPrefix(testRedisUrl, prefix);
});

const within = async (ms: number, ok: () => Promise<boolean>) => {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await ok()) return true;
    await Bun.sleep(20);
  }
  return false;
};

describe.skipIf(skipWithout("redis"))("data keys and the invalidation feed (issue 14)", () => {
  test("an account erased on one instance leaves the other's key cache within a second", async () => {
    env = await makeTestEnv("", { env: { KRIORA_REDIS_URL: testRedisUrl, KRIORA_REDIS_PREFIX: prefix } });
    other = await openDeps(env.deps.config, { log: captureLog() });
    const account = await createAccount(env.deps, { email: "feed-key@example.com" }, "test");
    expect(await other.dataKeys.get(other.db, account.id)).not.toBeNull();
    // Wait until the other instance's subscription is up (Redis drops what is published before):
    // a probe's key, cached there and deleted underneath, goes once a published change arrives.
    const probe = await createAccount(env.deps, { email: "feed-probe@example.com" }, "test");
    await other.dataKeys.get(other.db, probe.id);
    await exec(env.deps.db.delete(dataKeys).where(eq(dataKeys.ownerId, probe.id)));
    const seen = async () => {
      await env!.deps.authView.refreshAccount(probe.id);
      return (await other!.dataKeys.get(other!.db, probe.id)) === null;
    };
    expect(await within(5_000, seen)).toBe(true);
    // The other instance still serves the account's key from memory; the erasure's notice drops it.
    expect(await other.dataKeys.get(other.db, account.id)).not.toBeNull();
    await eraseAccount(env.deps, account.id, "admin", "test");
    expect(await within(1_000, async () => (await other!.dataKeys.get(other!.db, account.id)) === null)).toBe(true);
  });
});
