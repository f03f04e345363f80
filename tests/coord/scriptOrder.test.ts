import { afterAll, describe, expect, test } from "bun:test";
import { openRedisLink } from "../../src/coord/redisLink";
import { silentLogger } from "../../src/lib/log";
import { startPrivateRedis } from "../helpers/privateServers";
import { skipWithout } from "../helpers/services";

// A redis-server of the test's own: it starts with no cached scripts, and loses them when restarted.
const redis = skipWithout("redis") ? null : await startPrivateRedis({ persist: false });
afterAll(() => redis?.destroy());

const APPEND_A = "redis.call('RPUSH', KEYS[1], 'a')";
const APPEND_B_AND_READ = "redis.call('RPUSH', KEYS[1], 'b') return redis.call('LRANGE', KEYS[1], 0, -1)";

async function untilUp<T>(attempt: () => Promise<T>): Promise<T> {
  for (let tries = 0; ; tries++) {
    try {
      return await attempt();
    } catch (err) {
      if (tries > 100) throw err;
      await Bun.sleep(100);
    }
  }
}

describe.skipIf(redis === null)(
  "§5 process payments: Redis applies coordination operations in the order they were made",
  () => {
    test("a script new to Redis, queued before one it has cached, still runs first (a top-up's credit before the next hold)", async () => {
      const link = openRedisLink(redis!.url, silentLogger, "order:epoch");
      try {
        expect(await link.run(APPEND_B_AND_READ, ["order:1"], [])).toEqual(["b"]);
        link.later(APPEND_A, ["order:1"], []);
        expect(await link.run(APPEND_B_AND_READ, ["order:1"], [])).toEqual(["b", "a", "b"]);
      } finally {
        await link.close();
      }
    });

    test("after Redis restarts without its script cache, the order holds on the new connection", async () => {
      const link = openRedisLink(redis!.url, silentLogger, "order:epoch");
      try {
        link.later(APPEND_A, ["order:2"], []);
        expect(await link.run(APPEND_B_AND_READ, ["order:2"], [])).toEqual(["a", "b"]);
        await redis!.stop();
        await redis!.start();
        expect(await untilUp(() => link.run(APPEND_B_AND_READ, ["order:3"], []))).toEqual(["b"]);
        link.later(APPEND_A, ["order:3"], []);
        expect(await link.run(APPEND_B_AND_READ, ["order:3"], [])).toEqual(["b", "a", "b"]);
      } finally {
        await link.close();
      }
    });
  },
);
