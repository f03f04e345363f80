import { expect, test } from "bun:test";
import { accountWithKey, chat, startLoad, useFaultCluster, waitFor } from "../helpers/cluster";
import { describeWithServices } from "../helpers/services";

describeWithServices(
  "fault: PostgreSQL restarted during load (three instances, a PostgreSQL of the test's own)",
  () => {
    const got = useFaultCluster({ instances: 3, privatePostgres: true });

    test("/readyz is 503 on every instance while PostgreSQL is down and 200 again after it returns; the usage rows buffered meanwhile are all written", async () => {
      const { cluster: c, postgres } = got();
      const { accountId, key } = accountWithKey(c, "pg-fault@multi.example");
      const ready = async () => Promise.all(c.instances.map(async (i) => (await fetch(`${i.url}/readyz`)).status));
      expect(await ready()).toEqual([200, 200, 200]);
      const load = startLoad(c, () => chat(key));
      await waitFor(
        "answers while PostgreSQL is up",
        () => load.answers.filter((a) => a.status === 200).length >= 30,
        30_000,
      );

      await postgres!.stop();
      const downAt = performance.now();
      await waitFor("every instance not ready", async () => (await ready()).every((s) => s === 503), 15_000);
      const readyz = (await (await fetch(`${c.instances[0]!.url}/readyz`)).json()) as { error: { code: string } };
      expect(readyz.error.code).toBe("unavailable");
      await Bun.sleep(1_000);
      const upAt = performance.now();
      await postgres!.start();
      await waitFor("every instance ready again", async () => (await ready()).every((s) => s === 200), 30_000);
      await Bun.sleep(1_000);
      const answers = await load.stop();

      // Requests were served while the database was gone: their rows waited in the writers.
      expect(
        answers.filter((a) => a.sentAt > downAt && a.answeredAt < upAt && a.status === 200).length,
      ).toBeGreaterThan(0);
      // Every answered request is a usage row (a refusal too, with its outcome).
      const made = answers.filter((a) => a.status !== 0).length;
      for (const instance of c.instances) expect(await instance.stop()).toBe(0);
      expect(c.cli("usage", "--account", accountId).requests).toBe(made);
    }, 120_000);
  },
);
