import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { loadAuthView } from "../../src/auth/view";
import type { Coordination } from "../../src/coord/port";
import { openDatabase } from "../../src/db/client";
import { revokeKey } from "../../src/keys/apiKeys";
import { makeTestEnv, type TestEnv } from "../helpers/deps";
import { makeAccount, makeKey } from "../helpers/identity";
import { IMPLEMENTATIONS, dropPrefix, manualClock, testRedisUrl, uniquePrefix } from "./redisTest";

// The invalidation feed alone: a second view of the same database is never asked to poll
// (`sync()` is what reads data_version), so only the feed can tell it of a change.
const redis = IMPLEMENTATIONS.find((i) => i.name === "redis");
const prefix = uniquePrefix("feed");
const opened: Coordination[] = [];
let env: TestEnv | undefined;
afterEach(() => env?.close());
afterAll(async () => {
  for (const c of opened) await c.close();
  if (testRedisUrl) await dropPrefix(testRedisUrl, prefix);
});

async function setUp(withFeed: boolean) {
  env = await makeTestEnv();
  const a = redis!.open(manualClock(), prefix);
  const b = redis!.open(manualClock(), prefix);
  opened.push(a, b);
  const account = await makeAccount(env.deps, "feed-view@example.com");
  const { id } = await makeKey(env.deps, account.id);
  // The writer's view publishes through its own instance of the port; the other view, on its own
  // connection to the same database, loads the key at start.
  env.deps.authView = await loadAuthView(env.deps.handle, withFeed ? a.feed : null);
  const handle = openDatabase(env.deps.config.database.path);
  const other = await loadAuthView(handle, withFeed ? b.feed : null);
  return { other, id, close: () => handle.close() };
}

const within = async (ms: number, ok: () => boolean) => {
  const deadline = Date.now() + ms;
  while (!ok() && Date.now() < deadline) await Bun.sleep(10);
  return ok();
};

describe.skipIf(!redis)("the invalidation feed", () => {
  test("a key revoked through one view leaves the other within a second, without polling", async () => {
    const { other, id, close } = await setUp(true);
    expect(other.key(id)).toBeDefined();
    await revokeKey(env!.deps, id, "test");
    expect(await within(1_000, () => other.key(id) === undefined)).toBe(true);
    close();
  });

  test("control: without the feed, the other view keeps the key until it polls", async () => {
    const { other, id, close } = await setUp(false);
    expect(other.key(id)).toBeDefined();
    await revokeKey(env!.deps, id, "test");
    expect(await within(300, () => other.key(id) === undefined)).toBe(false);
    close();
  });
});
