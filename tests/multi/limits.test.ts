import { expect, test } from "bun:test";
import { accountWithKey, chat, useCluster, type Cluster, CLUSTER_TEST_MS, costMicros } from "../helpers/cluster";
import { describeWithServices } from "../helpers/services";

/** Issue 14: admission counts in Redis, so the limits hold for the deployment, not per instance. */
const RPM = 60;

/** `n` chat requests with `key`, all at once, spread over the instances in turn; their statuses and how long the burst took. */
async function burst(cluster: Cluster, key: string, n: number) {
  const started = performance.now();
  const statuses = await Promise.all(
    Array.from({ length: n }, async () => {
      const res = await cluster.fetch("/v1/chat/completions", chat(key));
      const body = (await res.json()) as { error?: { code?: string } };
      return {
        status: res.status,
        code: body.error?.code as string | undefined,
        cost: res.headers.get("x-kriora-cost-usd"),
      };
    }),
  );
  return { statuses, ms: performance.now() - started };
}

describeWithServices("several instances: limits (three kriora serve on one PostgreSQL + Redis)", () => {
  const cluster = useCluster({
    instances: 3,
    toml: `[limits]\nrpm = ${RPM}\ntpm = 0\nconcurrency = 0\n[billing]\nmode = "prepaid"`,
  });

  test(
    "an account rpm of 60 admits exactly 60 across the three instances (plus what the bucket refills during the burst)",
    async () => {
      const c = cluster();
      for (const instance of c.instances) expect(instance.output()).toContain('"billing":"prepaid"');
      const { accountId, key } = accountWithKey(c, "rpm@multi.example");
      // Enough for every request's hold (its cost at the model's default output cap) at once.
      c.cli("credits", "grant", "--account", accountId, "--amount", "10000", "--reason", "test");
      const { statuses, ms } = await burst(c, key, 90);
      const admitted = statuses.filter((s) => s.status === 200).length;
      const refused = statuses.filter((s) => s.status === 429);
      // The bucket refills at rpm/60 a second: a burst that took 1.4 s may see one more request.
      expect(admitted).toBeGreaterThanOrEqual(RPM);
      expect(admitted).toBeLessThanOrEqual(RPM + Math.floor((ms / 60_000) * RPM));
      expect(refused.length).toBe(90 - admitted);
      expect(new Set(refused.map((r) => r.code))).toEqual(new Set(["rate_limit_exceeded"]));
    },
    CLUSTER_TEST_MS,
  );

  test(
    "a prepaid balance of N requests' worth admits at most N across the three instances, and never goes below one request's cost",
    async () => {
      const c = cluster();
      // One request's price, measured on another account.
      const probe = accountWithKey(c, "price@multi.example");
      c.cli("credits", "grant", "--account", probe.accountId, "--amount", "1", "--reason", "test");
      const priced = await c.fetch("/v1/chat/completions", chat(probe.key));
      expect(priced.status).toBe(200);
      const cost = costMicros(priced.headers.get("x-kriora-cost-usd")!);
      expect(cost).toBeGreaterThan(0);

      const N = 10;
      const { accountId, key } = accountWithKey(c, "prepaid@multi.example");
      c.cli(
        "credits",
        "grant",
        "--account",
        accountId,
        "--amount",
        ((N * cost) / 1_000_000).toFixed(6),
        "--reason",
        "test",
      );
      const { statuses } = await burst(c, key, 3 * N);
      const admitted = statuses.filter((s) => s.status === 200).length;
      expect(admitted).toBeGreaterThan(0);
      expect(admitted).toBeLessThanOrEqual(N);
      expect(new Set(statuses.filter((s) => s.status !== 200).map((s) => `${s.status} ${s.code}`))).toEqual(
        new Set(["402 insufficient_quota"]),
      );

      // Once every instance has written its usage (the refusals are usage rows too), the ledger
      // shows what was admitted, and no debt.
      const deadline = Date.now() + 15_000;
      while (c.cli("usage", "--account", accountId).requests < 3 * N && Date.now() < deadline) await Bun.sleep(200);
      expect(c.cli("usage", "--account", accountId).requests).toBe(3 * N);
      const balance = Number(c.cli("credits", "show", "--account", accountId).balance_micros);
      expect(balance).toBe(N * cost - admitted * cost);
      expect(balance).toBeGreaterThanOrEqual(-cost);
    },
    CLUSTER_TEST_MS,
  );
});
