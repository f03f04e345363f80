import { beforeAll, afterAll, expect, test } from "bun:test";
import {
  accountWithKey,
  chat,
  useCluster,
  type Cluster,
  type Instance,
  CLUSTER_TEST_MS,
  waitFor,
} from "../helpers/cluster";
import { startFakeStripe, type FakeStripe } from "../helpers/fakeStripe";
import { describeWithServices } from "../helpers/services";

/**
 * Issue 14: retention, policy notices and the Stripe meter outbox run on one instance at a time
 * (a leader lock in Redis), and another instance takes them over when the leader dies.
 */
const METER_PATH = "/v1/billing/meter_events";

const retentionRuns = (c: Cluster) =>
  c.instances.map((i) => ({ on: i.name, runs: i.output().split('"event":"retention_run"').length - 1 }));

/** `n` chat requests with `key`, spread over the instances in turn; every one answered 200. */
async function requests(c: Cluster, key: string, n: number) {
  for (let i = 0; i < n; i++) {
    const res = await c.fetch("/v1/chat/completions", chat(key));
    await res.text();
    expect(res.status).toBe(200);
  }
}

describeWithServices("several instances: background jobs (three kriora serve on one PostgreSQL + Redis)", () => {
  let stripe: FakeStripe;
  beforeAll(() => {
    stripe = startFakeStripe();
    // A slow Stripe: one pass over the outbox lasts longer than a sender's 1 s tick, so any other
    // instance running a sender would pick the same rows up in the meantime.
    stripe.meterReplyDelayMs = 250;
  });
  afterAll(() => stripe.stop());
  const cluster = useCluster({ instances: 3, toml: `[billing]\nmode = "metered"`, stripe: () => stripe });

  test(
    "the retention run at start happens once across the three instances",
    async () => {
      const c = cluster();
      await waitFor("a retention run", () => retentionRuns(c).some((r) => r.runs > 0), 15_000);
      // Give the other instances the time to start theirs, had they been going to.
      await Bun.sleep(3_000);
      expect(retentionRuns(c).reduce((n, r) => n + r.runs, 0)).toBe(1);
    },
    CLUSTER_TEST_MS,
  );

  test(
    "the meter outbox is sent by one instance: each request's event reaches Stripe once, one customer made",
    async () => {
      const c = cluster();
      for (const instance of c.instances) expect(instance.output()).toContain('"billing":"metered"');
      const { key } = accountWithKey(c, "metered@multi.example");
      const before = stripe.requests.length;
      await requests(c, key, 12);
      await waitFor("12 meter events", () => stripe.meterEvents.size >= 12, 30_000);
      await Bun.sleep(2_000);
      const sent = stripe.requests.slice(before).filter((r) => r.path === METER_PATH);
      expect(sent).toHaveLength(12);
      expect(new Set(sent.map((r) => r.form.identifier)).size).toBe(12);
      expect(new Set(sent.map((r) => r.sender)).size).toBe(1);
      expect(stripe.requests.slice(before).filter((r) => r.path === "/v1/customers")).toHaveLength(1);
    },
    CLUSTER_TEST_MS,
  );

  test("the leader killed -9 in the middle of a send: another instance takes the outbox over, every event reaches Stripe, only the one in flight is sent twice; one survivor applies retention", async () => {
    const c = cluster();
    const { key } = accountWithKey(c, "leader@multi.example");
    const known = new Set(stripe.meterEvents.keys());
    const before = stripe.requests.length;
    stripe.holdMeterReplies = true;
    await requests(c, key, 8);
    const mine = () => stripe.requests.slice(before).filter((r) => r.path === METER_PATH);
    await waitFor("a meter event in flight", () => mine().length > 0, 30_000);
    const leader = c.instances.find((i) => i.name === mine()[0]!.sender) as Instance;
    expect(leader).toBeDefined();
    const inFlight = mine().length;
    const runsBefore = new Map(retentionRuns(c).map((r) => [r.on, r.runs]));
    await leader.kill9();
    stripe.holdMeterReplies = false;

    const fresh = () => [...stripe.meterEvents.keys()].filter((id) => !known.has(id));
    await waitFor("all 8 meter events after the leader died", () => fresh().length >= 8, 60_000);
    await Bun.sleep(2_000);
    const after = mine().slice(inFlight);
    expect(fresh()).toHaveLength(8);
    expect(new Set(after.map((r) => r.sender)).size).toBe(1);
    expect(after[0]!.sender).not.toBe(leader.name);
    // Each event went out once, but those the leader had sent without an answer: sent again, deduplicated by Stripe.
    expect(mine().length).toBeLessThanOrEqual(8 + inFlight);

    // The instance that took the lock over applies the retention windows (within its next minute); the other does not.
    const survivors = () =>
      retentionRuns(c)
        .filter((r) => r.on !== leader.name)
        .map((r) => ({ on: r.on, runs: r.runs - (runsBefore.get(r.on) ?? 0) }));
    await waitFor("a retention run after the takeover", () => survivors().some((r) => r.runs > 0), 90_000);
    await Bun.sleep(3_000);
    expect(survivors().filter((r) => r.runs > 0)).toEqual([{ on: after[0]!.sender, runs: 1 }]);
    await leader.restart();
  }, 180_000);
});
