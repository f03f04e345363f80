import { expect, test } from "bun:test";
import { accountWithKey, chat, startLoad, useCluster, type Instance } from "../helpers/cluster";
import { describeWithServices } from "../helpers/services";

/**
 * Issue 14, faults: one instance of three is killed with kill -9 under load. The others lose
 * nothing; the dead one loses at most the usage rows it had not flushed yet (its writer flushes
 * every 100 ms, so at most the requests it answered in its last moments).
 */
describeWithServices("fault: kill -9 of one instance during load (three instances on one PostgreSQL + Redis)", () => {
  const cluster = useCluster({ instances: 3 });

  test("kill -9 of B: A's and C's usage rows are all there, B lost at most what it answered in its last second", async () => {
    const c = cluster();
    const [a, b, cc] = c.instances as [Instance, Instance, Instance];
    const accounts = [a, b, cc].map((instance) => ({
      instance,
      ...accountWithKey(c, `kill-${instance.name.toLowerCase()}@multi.example`),
    }));
    const loads = accounts.map(({ instance, key }) =>
      startLoad(c, () => chat(key), { workers: 2, pick: () => instance }),
    );
    const deadline = Date.now() + 30_000;
    while (loads.some((l) => l.answers.filter((x) => x.status === 200).length < 30) && Date.now() < deadline)
      await Bun.sleep(100);

    await b.kill9();
    const killedAt = performance.now();
    const onB = await loads[1]!.stop();
    await Bun.sleep(1_000);
    const [onA, onC] = await Promise.all([loads[0]!.stop(), loads[2]!.stop()]);
    for (const instance of [a, cc]) expect(await instance.stop()).toBe(0);

    // Every answered request is a usage row (refusals too); a refused connection is none.
    const ok = (answers: typeof onA) => answers.filter((x) => x.status !== 0);
    const usage = (i: number) => c.cli("usage", "--account", accounts[i]!.accountId).requests as number;
    expect(usage(0)).toBe(ok(onA).length);
    expect(usage(2)).toBe(ok(onC).length);
    const servedByB = ok(onB).length;
    const lastSecond = ok(onB).filter((x) => x.answeredAt > killedAt - 1_000).length;
    expect(servedByB).toBeGreaterThanOrEqual(30);
    expect(usage(1)).toBeLessThanOrEqual(servedByB);
    expect(usage(1)).toBeGreaterThanOrEqual(servedByB - lastSecond);
  }, 120_000);
});
