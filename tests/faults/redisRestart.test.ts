import { expect, test } from "bun:test";
import { accountWithKey, chat, startLoad, useFaultCluster, type Answer, waitFor, costMicros } from "../helpers/cluster";
import { describeWithServices } from "../helpers/services";

/**
 * Issue 14, faults: Redis (the deployment's shared counters) goes away under load and comes back.
 * Budgets fail closed — a prepaid check cannot be made without Redis — and the instances recover
 * by themselves when it returns, with nothing counted twice.
 */

describeWithServices("fault: Redis restarted during load (three instances, a Redis of the test's own)", () => {
  const got = useFaultCluster({
    instances: 3,
    privateRedis: true,
    toml: `[limits]\nrpm = 100000\ntpm = 0\nconcurrency = 0\n[billing]\nmode = "prepaid"`,
  });

  test("while Redis is down prepaid requests get 503 coordination_unavailable; after it returns they are served again without a restart, and nothing is counted twice", async () => {
    const { cluster: c, redis } = got();
    for (const instance of c.instances) expect(instance.output()).toContain('"billing":"prepaid"');
    const { accountId, key } = accountWithKey(c, "redis-fault@multi.example");
    c.cli("credits", "grant", "--account", accountId, "--amount", "1000", "--reason", "test");
    const load = startLoad(c, () => chat(key));
    await waitFor("answers while Redis is up", () => load.answers.filter((a) => a.status === 200).length >= 30, 30_000);

    await redis!.stop();
    const downAt = performance.now();
    await waitFor(
      "a 503 while Redis is down",
      () => load.answers.some((a) => a.sentAt > downAt && a.status === 503),
      15_000,
    );
    await Bun.sleep(1_000);
    const upAt = performance.now();
    await redis!.start();
    await waitFor(
      "served again after Redis returned",
      () => load.answers.some((a) => a.sentAt > upAt && a.status === 200),
      30_000,
    );
    await Bun.sleep(1_000);
    const answers = await load.stop();

    const whileDown = answers.filter((a: Answer) => a.sentAt > downAt && a.answeredAt < upAt);
    expect(whileDown.length).toBeGreaterThan(0);
    expect(new Set(whileDown.map((a) => `${a.status} ${a.code}`))).toEqual(new Set(["503 coordination_unavailable"]));
    // Every instance refused while Redis was down, and every one serves again.
    expect(new Set(whileDown.map((a) => a.instance))).toEqual(new Set(c.instances.map((i) => i.name)));
    for (const instance of c.instances)
      expect((await fetch(`${instance.url}/v1/chat/completions`, chat(key))).status).toBe(200);
    expect(new Set(answers.map((a) => a.status))).toEqual(new Set([200, 503]));

    // Usage and the ledger: each request exactly once (refusals are usage rows too, with outcome
    // `refused`), and each served one debited once.
    const probe = await fetch(`${c.instances[0]!.url}/v1/chat/completions`, chat(key));
    const cost = costMicros(probe.headers.get("x-kriora-cost-usd")!);
    const extra = c.instances.length + 1;
    const made = answers.length + extra;
    const served = answers.filter((a) => a.status === 200).length + extra;
    await waitFor(
      "every request in the usage rows",
      () => c.cli("usage", "--account", accountId).requests >= made,
      15_000,
    );
    expect(c.cli("usage", "--account", accountId).requests).toBe(made);
    const balance = Number(c.cli("credits", "show", "--account", accountId).balance_micros);
    expect(balance).toBe(1_000_000_000 - served * cost);

    // Admission's view of the balance agrees with the ledger: bring it to exactly 3 requests' worth,
    // and exactly 3 more are admitted, one after the other.
    c.cli(
      "credits",
      "adjust",
      "--account",
      accountId,
      "--amount",
      ((3 * cost - balance) / 1_000_000).toFixed(6),
      "--reason",
      "test",
    );
    const after: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await c.fetch("/v1/chat/completions", chat(key));
      await res.text();
      after.push(res.status);
      // One after the other: the previous request has been settled before the next one asks.
      await Bun.sleep(200);
    }
    expect(after).toEqual([200, 200, 200, 402, 402, 402]);
  }, 120_000);
});
