import { expect, test } from "bun:test";
import { accountWithKey, chat, useFaultCluster } from "../helpers/cluster";
import { describeWithServices } from "../helpers/services";

/**
 * Issue 14, faults: with Redis down, requests that need no budget are still served, under rpm
 * limits each instance keeps on its own at limit ÷ redis.instances — so the deployment as a whole
 * still admits no more than the limit — and each instance says so once in its log.
 */
const RPM = 60;

describeWithServices("fault: Redis down, no budget needed (three instances, a Redis of the test's own)", () => {
  const got = useFaultCluster({
    instances: 3,
    privateRedis: true,
    env: { KRIORA_REDIS_INSTANCES: "3" },
    toml: `[limits]\nrpm = ${RPM}\ntpm = 0\nconcurrency = 0`,
  });

  test("an account rpm of 60 falls back to 20 per instance: at most 60 admitted across the three, the rest refused with 429, logged once by each", async () => {
    const { cluster: c, redis } = got();
    const { key } = accountWithKey(c, "redis-down-rpm@multi.example");
    await redis!.stop();
    const started = performance.now();
    const answers = await Promise.all(
      Array.from({ length: 90 }, async () => {
        const res = await c.fetch("/v1/chat/completions", chat(key));
        const body = (await res.json()) as { error?: { code?: string } };
        return `${res.status} ${body.error?.code ?? ""}`.trim();
      }),
    );
    const ms = performance.now() - started;
    const admitted = answers.filter((a) => a === "200").length;
    // Each instance's bucket refills at 20 a minute: a burst that took 2 s may see one more each.
    expect(admitted).toBeGreaterThan(0);
    expect(admitted).toBeLessThanOrEqual(RPM + 3 * Math.floor((ms / 60_000) * (RPM / 3)));
    expect(new Set(answers.filter((a) => a !== "200"))).toEqual(new Set(["429 rate_limit_exceeded"]));
    for (const instance of c.instances)
      expect(instance.output().split('"event":"limits_per_instance"').length - 1).toBe(1);
    await redis!.start();
  }, 120_000);
});
