import { afterAll, describe, expect, test } from "bun:test";
import type { Coordination, LimitSubject } from "../../src/coord/port";
import { IMPLEMENTATIONS, dropPrefix, manualClock, testRedisUrl, uniquePrefix } from "./redisTest";

// The same contract for both implementations of the coordination port: in-process, and Redis.
const prefix = uniquePrefix("contract");
afterAll(async () => {
  if (testRedisUrl) await dropPrefix(testRedisUrl, prefix);
});

const subject = (id: string, rpm: number, tpm = 0, concurrency = 0): LimitSubject => ({
  id,
  spec: { rpm, tpm, concurrency },
});

for (const impl of IMPLEMENTATIONS) {
  describe(`coordination port (${impl.name})`, () => {
    const opened: Coordination[] = [];
    const open = (clock = manualClock()) => {
      const c = impl.open(clock, `${prefix}${opened.length}:`);
      opened.push(c);
      return { c, clock };
    };
    afterAll(async () => {
      for (const c of opened) await c.close();
    });

    test("rpm: a bucket of 3 admits 3, refuses the 4th with a wait, and refills at rpm/minute", async () => {
      const { c, clock } = open();
      const s = [subject("account:a", 3)];
      for (let i = 0; i < 3; i++) expect((await c.limiter.admit(s, 0)).ok).toBe(true);
      const refused = await c.limiter.admit(s, 0);
      expect(refused).toMatchObject({ ok: false, reason: "rpm", retryAfterS: 20 });
      clock.advance(20_000);
      const again = await c.limiter.admit(s, 0);
      expect(again.ok).toBe(true);
      expect(again.headers["x-ratelimit-remaining-requests"]).toBe("0");
      expect((await c.limiter.admit(s, 0)).ok).toBe(false);
    });

    test("tpm: the estimate is reserved, and settling gives back what was not used", async () => {
      const { c } = open();
      const s = [subject("key:t", 0, 1000)];
      const first = await c.limiter.admit(s, 600);
      if (!first.ok) throw new Error("refused");
      expect(first.headers["x-ratelimit-remaining-tokens"]).toBe("400");
      expect(await c.limiter.admit(s, 600)).toMatchObject({ ok: false, reason: "tpm" });
      first.lease.settle(100);
      first.lease.settle(100); // settling twice changes nothing
      first.lease.release();
      const second = await c.limiter.admit(s, 600);
      expect(second.ok).toBe(true);
      expect(second.headers["x-ratelimit-remaining-tokens"]).toBe("300");
    });

    test("concurrency: slots are taken while in flight and freed on release (once)", async () => {
      const { c } = open();
      const s = [subject("account:c", 0, 0, 2)];
      const a = await c.limiter.admit(s, 0);
      const b = await c.limiter.admit(s, 0);
      expect([a.ok, b.ok]).toEqual([true, true]);
      expect(await c.limiter.admit(s, 0)).toMatchObject({ ok: false, reason: "concurrency" });
      if (!a.ok) throw new Error("refused");
      a.lease.release();
      a.lease.release();
      const d = await c.limiter.admit(s, 0);
      expect(d.ok).toBe(true);
      expect(await c.limiter.admit(s, 0)).toMatchObject({ ok: false, reason: "concurrency" });
    });

    test("subjects admit together or not at all: a refusal by one takes nothing from the others", async () => {
      const { c } = open();
      const account = subject("account:x", 10);
      const key = subject("key:x", 1);
      expect((await c.limiter.admit([account, key], 0)).ok).toBe(true);
      expect(await c.limiter.admit([account, key], 0)).toMatchObject({ ok: false, reason: "rpm" });
      const alone = await c.limiter.admit([account], 0);
      expect(alone.headers["x-ratelimit-remaining-requests"]).toBe("8");
    });

    test("spend: loaded once a month, advanced once per id, only for loaded subjects", async () => {
      const { c } = open();
      let loads = 0;
      const load = (micros: number) => () => (loads++, micros);
      expect(await c.spend.get("account:s", "2026-01", load(500))).toBe(500);
      expect(await c.spend.get("account:s", "2026-01", load(999))).toBe(500);
      await c.spend.add(["account:s", "key:s:k"], "2026-01", 70, "req_1");
      await c.spend.add(["account:s", "key:s:k"], "2026-01", 70, "req_1");
      await c.spend.add(["account:s"], "2026-01", 30, "req_2");
      await c.spend.add(["account:s"], "2026-01", 0, "req_3");
      await settled(c);
      expect(await c.spend.get("account:s", "2026-01", load(0))).toBe(600);
      expect(await c.spend.get("key:s:k", "2026-01", load(5))).toBe(5);
      expect(await c.spend.get("account:s", "2026-02", load(0))).toBe(0);
      expect(loads).toBe(3);
    });

    test("wallets: a balance worth 3 requests holds 3, refuses the 4th; settling debits the cost and frees the hold", async () => {
      const { c } = open();
      const ledger = { micros: 300n, seq: 7 };
      const balance = () => ({ ...ledger });
      const held = await Promise.all([1, 2, 3, 4].map((i) => c.wallets.hold("acct_w", `r${i}`, 100, balance)));
      expect(held).toEqual([true, true, true, false]);
      // They cost 100, 50 and 0; the usage flush appends their debits to the ledger.
      await c.wallets.settle("acct_w", "r1", 100);
      await c.wallets.settle("acct_w", "r1", 100);
      await c.wallets.settle("acct_w", "r2", 50);
      await c.wallets.settle("acct_w", "r3", 0);
      ledger.micros -= 150n;
      await settled(c);
      // 150 left: two holds of 100 (the second takes it below zero by at most its own hold), then none.
      expect(await c.wallets.hold("acct_w", "r5", 100, balance)).toBe(true);
      expect(await c.wallets.hold("acct_w", "r6", 100, balance)).toBe(true);
      expect(await c.wallets.hold("acct_w", "r7", 100, balance)).toBe(false);
    });

    test("wallets: a used-up balance refuses; a credit committed later lets requests through again", async () => {
      const { c } = open();
      const ledger = { micros: 0n, seq: 3 };
      const balance = () => ({ ...ledger });
      expect(await c.wallets.hold("acct_z", "r1", 10, balance)).toBe(false);
      ledger.micros += 50n;
      ledger.seq = 4;
      await c.wallets.credit("acct_z", "ledger_4", 50, 4);
      await c.wallets.credit("acct_z", "ledger_4", 50, 4);
      await settled(c);
      expect(await c.wallets.hold("acct_z", "r2", 40, balance)).toBe(true);
      expect(await c.wallets.hold("acct_z", "r3", 40, balance)).toBe(true);
      expect(await c.wallets.hold("acct_z", "r4", 40, balance)).toBe(false);
    });

    test("windows: hits count per fixed window; distinct members count once; reset starts over", async () => {
      const { c, clock } = open();
      expect((await c.windows.hit("ip:a", 60_000)).count).toBe(1);
      const second = await c.windows.hit("ip:a", 60_000);
      expect(second.count).toBe(2);
      expect(second.resetMs).toBeGreaterThan(0);
      expect(second.resetMs).toBeLessThanOrEqual(60_000);
      await c.windows.reset("ip:a");
      expect((await c.windows.hit("ip:a", 60_000)).count).toBe(1);
      expect(await c.windows.addDistinct("key:k", "h1", 60_000)).toBe(1);
      expect(await c.windows.addDistinct("key:k", "h1", 60_000)).toBe(1);
      expect(await c.windows.addDistinct("key:k", "h2", 60_000)).toBe(2);
      clock.advance(59_999);
      expect((await c.windows.hit("ip:a", 60_000)).count).toBe(2);
      clock.advance(1);
      const next = await c.windows.hit("ip:a", 60_000);
      expect(next).toEqual({ count: 1, resetMs: 60_000 });
      expect(await c.windows.addDistinct("key:k", "h1", 60_000)).toBe(1);
    });

    test("leader: acquire holds the lock until release", async () => {
      const { c } = open();
      const lock = c.leader("jobs");
      expect(await lock.acquire()).toBe(true);
      expect(lock.held()).toBe(true);
      await lock.release();
      expect(lock.held()).toBe(false);
    });
  });
}

/** Adds, settles and credits may be sent in the background: a round trip through the same port waits for them. */
async function settled(c: Coordination) {
  await c.windows.hit("barrier", 1000);
}
