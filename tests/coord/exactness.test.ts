import { RedisClient } from "bun";
import { afterAll, describe, expect, test } from "bun:test";
import type { Coordination } from "../../src/coord/port";
import { IMPLEMENTATIONS, dropPrefix, manualClock, testRedisUrl, uniquePrefix } from "./redisTest";

// Several instances of the Redis port in one process, each with its own connection, as several
// `kriora serve` would be: shared limits hold exactly under many concurrent requests.
const redis = IMPLEMENTATIONS.find((i) => i.name === "redis");
const prefix = uniquePrefix("exact");
const clock = manualClock();
const instances: Coordination[] = redis ? [0, 1, 2].map(() => redis.open(clock, prefix)) : [];
afterAll(async () => {
  for (const c of instances) await c.close();
  if (testRedisUrl) await dropPrefix(testRedisUrl, prefix);
});

/** `n` calls spread round-robin over the instances, all in flight at once. */
const spread = <T>(n: number, call: (c: Coordination, i: number) => Promise<T>) =>
  Promise.all(Array.from({ length: n }, (_, i) => call(instances[i % instances.length]!, i)));

/** Releases, settles and adds are sent in the background: a round trip on every connection waits for them. */
const barrier = () => Promise.all(instances.map((c) => c.windows.hit("barrier", 1000)));

describe.skipIf(!redis)("three instances on one Redis", () => {
  test("an account rpm of 60 admits exactly 60 of 300 concurrent requests", async () => {
    const subjects = [{ id: "account:rpm", spec: { rpm: 60, tpm: 0, concurrency: 0 } }];
    const results = await spread(300, (c) => c.limiter.admit(subjects, 0));
    expect(results.filter((r) => r.ok).length).toBe(60);
    expect(results.filter((r) => !r.ok && r.reason === "rpm").length).toBe(240);
  });

  test("a tpm of 10,000 admits exactly 10 requests reserving 1,000 tokens each", async () => {
    const subjects = [{ id: "key:tpm", spec: { rpm: 0, tpm: 10_000, concurrency: 0 } }];
    const results = await spread(90, (c) => c.limiter.admit(subjects, 1_000));
    expect(results.filter((r) => r.ok).length).toBe(10);
  });

  test("a concurrency of 5 holds 5 slots across instances; freed slots are taken again exactly", async () => {
    const subjects = [{ id: "account:conc", spec: { rpm: 0, tpm: 0, concurrency: 5 } }];
    const first = await spread(60, (c) => c.limiter.admit(subjects, 0));
    const admitted = first.flatMap((r) => (r.ok ? [r.lease] : []));
    expect(admitted.length).toBe(5);
    for (const lease of admitted.slice(0, 2)) lease.release();
    await barrier();
    const second = await spread(60, (c) => c.limiter.admit(subjects, 0));
    expect(second.filter((r) => r.ok).length).toBe(2);
  });

  test("a prepaid balance worth 10 requests admits exactly 10 of 60 concurrent ones, and settles to zero", async () => {
    const ledger = () => ({ micros: 10_000n, seq: 1 });
    const held = await spread(60, (c, i) => c.wallets.hold("acct_pre", `req_${i}`, 1_000, ledger));
    const ids = held.flatMap((ok, i) => (ok ? [i] : []));
    expect(ids.length).toBe(10);
    // Each cost what it held; settling twice (a retry) debits once.
    await spread(20, (c, i) => c.wallets.settle("acct_pre", `req_${ids[i % 10]}`, 1_000));
    await barrier();
    expect(await instances[0]!.wallets.hold("acct_pre", "req_after", 1, ledger)).toBe(false);
  });

  test("month-to-date spend counts each request once, whichever instance records it (and retries)", async () => {
    for (const c of instances) expect(await c.spend.get("account:sp", "2026-01", () => 0)).toBe(0);
    await spread(300, (c, i) => c.spend.add(["account:sp"], "2026-01", 7, `req_${i % 150}`));
    await barrier();
    for (const c of instances) expect(await c.spend.get("account:sp", "2026-01", () => 0)).toBe(150 * 7);
  });

  test("a threshold is crossed on exactly one count, so exactly one instance decides", async () => {
    const counts = await spread(90, (c) => c.windows.hit("auth:addr", 60_000));
    expect(counts.map((c) => c.count).sort((a, b) => a - b)).toEqual(Array.from({ length: 90 }, (_, i) => i + 1));
  });

  test("one leader among the instances; another takes over when it releases", async () => {
    const locks = instances.map((c) => c.leader("jobs"));
    const won = await Promise.all(locks.map((l) => l.acquire()));
    expect(won.filter(Boolean).length).toBe(1);
    const leader = won.indexOf(true);
    await locks[leader]!.release();
    const next = await Promise.all(locks.map((l, i) => (i === leader ? false : l.acquire())));
    expect(next.filter(Boolean).length).toBe(1);
    for (const l of locks) await l.release();
  });
});

describe.skipIf(!redis)("the leader lock", () => {
  test("is renewed while held, and taken over when its holder dies without releasing it", async () => {
    const lockPrefix = `${prefix}lock:`;
    const [a, b] = [redis!.open(clock, lockPrefix, { lockMs: 300 }), redis!.open(clock, lockPrefix, { lockMs: 300 })];
    const [la, lb] = [a.leader("jobs"), b.leader("jobs")];
    expect(await la.acquire()).toBe(true);
    expect(await lb.acquire()).toBe(false);
    // Three lock lifetimes later the holder still holds it: it renews every third of one.
    await Bun.sleep(900);
    expect(la.held()).toBe(true);
    expect(await lb.acquire()).toBe(false);
    // Released on shutdown: the other takes it at its next try.
    await la.release();
    await a.close();
    expect(await lb.acquire()).toBe(true);
    await lb.release();
    // A holder that dies (killed -9) leaves its key behind, unrenewed: it expires and b takes it over.
    const raw = new RedisClient(testRedisUrl);
    await raw.send("SET", [`${lockPrefix}lock:jobs`, "inst_dead", "PX", "300"]);
    raw.close();
    expect(await lb.acquire()).toBe(false);
    let took = false;
    for (let i = 0; i < 50 && !took; i++) {
      took = lb.held();
      if (!took) await Bun.sleep(50);
    }
    expect(took).toBe(true);
    await b.close();
  });
});

describe.skipIf(!redis)("leases of requests in flight", () => {
  test("are kept while their request runs past the lease, and freed when the instance holding them died", async () => {
    const slotPrefix = `${prefix}slots:`;
    const realClock = { now: () => Date.now() };
    const [a, b] = [0, 1].map(() => redis!.open(realClock, slotPrefix, { leaseMs: 300 }));
    const subjects = [{ id: "account:long", spec: { rpm: 0, tpm: 0, concurrency: 1 } }];
    const first = await a!.limiter.admit(subjects, 0);
    expect(first.ok).toBe(true);
    // Three lease lifetimes later the request is still in flight: its slot was renewed.
    await Bun.sleep(900);
    expect(await b!.limiter.admit(subjects, 0)).toMatchObject({ ok: false, reason: "concurrency" });
    // The instance dies with the request in flight (no release): the slot goes when its lease runs out.
    await a!.close();
    let freed = false;
    for (let i = 0; i < 50 && !freed; i++) {
      const again = await b!.limiter.admit(subjects, 0);
      freed = again.ok;
      if (again.ok) again.lease.release();
      else await Bun.sleep(50);
    }
    expect(freed).toBe(true);
    await b!.close();
  });

  test("a prepaid hold is kept while its request runs past the lease, and freed when the instance holding it died", async () => {
    const holdPrefix = `${prefix}holds:`;
    const realClock = { now: () => Date.now() };
    const [a, b] = [0, 1].map(() => redis!.open(realClock, holdPrefix, { leaseMs: 300 }));
    const ledger = () => ({ micros: 100n, seq: 1 });
    expect(await a!.wallets.hold("acct_long", "req_long", 100, ledger)).toBe(true);
    await Bun.sleep(900);
    expect(await b!.wallets.hold("acct_long", "req_next", 100, ledger)).toBe(false);
    await a!.close();
    let freed = false;
    for (let i = 0; i < 50 && !freed; i++) {
      freed = await b!.wallets.hold("acct_long", `req_after_${i}`, 100, ledger);
      if (!freed) await Bun.sleep(50);
    }
    expect(freed).toBe(true);
    await b!.close();
  });
});
