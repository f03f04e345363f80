import type { Clock } from "../lib/clock";
import { InsertionOrderedMap } from "../lib/insertionOrderedMap";
import { createMemoryLimiter } from "./memoryLimiter";
import type { Coordination, SpendCounters, Wallets, WindowCounters } from "./port";

/** Remembers the last `max` ids, so that an add or a settle repeated with one id counts once. */
export function recentIds(max = 10_000) {
  const seen = new InsertionOrderedMap<string, true>();
  return (id: string): boolean => {
    if (seen.has(id)) return false;
    if (seen.size >= max) seen.deleteOldest();
    seen.set(id, true);
    return true;
  };
}

function memorySpend(): SpendCounters {
  const counters = new Map<string, { month: string; micros: number; loading: Promise<number> | null }>();
  const first = recentIds();
  return {
    async get(subject, month, load) {
      let e = counters.get(subject);
      if (!e || e.month !== month) {
        // Adds made while the stored total is read land on the entry; the total is added to them.
        const entry = { month, micros: 0, loading: Promise.resolve(load()) as Promise<number> | null };
        counters.set(subject, entry);
        e = entry;
        try {
          entry.micros += await entry.loading!;
        } catch (err) {
          if (counters.get(subject) === entry) counters.delete(subject);
          throw err;
        } finally {
          entry.loading = null;
        }
      }
      if (e.loading) await e.loading.catch(() => undefined);
      return e.micros;
    },
    async add(subjects, month, micros, id) {
      if (micros <= 0 || !first(id)) return;
      for (const s of subjects) {
        const e = counters.get(s);
        if (e && e.month === month) e.micros += micros;
      }
    },
  };
}

/**
 * This process's holds over the ledger's balance (`balance` is read on every hold: the billing
 * view keeps it in memory, in step with the ledger). A settled cost reaches the balance when the
 * usage writer's flush appends its ledger debit.
 */
function memoryWallets(): Wallets {
  const holds = new Map<string, Map<string, number>>();
  const held = (accountId: string) => {
    let total = 0;
    for (const m of holds.get(accountId)?.values() ?? []) total += m;
    return total;
  };
  return {
    async hold(accountId, id, micros, balance) {
      if ((await balance()).micros - BigInt(held(accountId)) <= 0n) return false;
      const mine = holds.get(accountId) ?? new Map<string, number>();
      mine.set(id, Math.max(1, micros));
      holds.set(accountId, mine);
      return true;
    },
    async settle(accountId, id) {
      const mine = holds.get(accountId);
      mine?.delete(id);
      if (mine?.size === 0) holds.delete(accountId);
    },
    async credit() {},
  };
}

export function memoryWindows(clock: Clock, maxKeys = 100_000): WindowCounters {
  const windows = new Map<string, { start: number; count: number; members: Set<string> }>();
  const current = (key: string, windowMs: number) => {
    const now = clock.now();
    let w = windows.get(key);
    if (!w || now - w.start >= windowMs) {
      windows.delete(key);
      if (windows.size >= maxKeys) sweep(now, windowMs);
      w = { start: now, count: 0, members: new Set() };
      windows.set(key, w);
    }
    return { w, resetMs: w.start + windowMs - now };
  };
  // Finished windows go first, then the oldest (insertion order) until there is room.
  const sweep = (now: number, windowMs: number) => {
    for (const [k, w] of windows) if (now - w.start >= windowMs) windows.delete(k);
    for (const k of windows.keys()) {
      if (windows.size < maxKeys) break;
      windows.delete(k);
    }
  };
  return {
    async hit(key, windowMs) {
      const { w, resetMs } = current(key, windowMs);
      w.count++;
      return { count: w.count, resetMs };
    },
    async addDistinct(key, member, windowMs) {
      const { w } = current(key, windowMs);
      w.members.add(member);
      return w.members.size;
    },
    async reset(key) {
      windows.delete(key);
    },
  };
}

/** One instance: everything in this process's memory, the lock always held, no one to tell. */
export function createMemoryCoordination(clock: Clock): Coordination {
  return {
    kind: "memory",
    limiter: createMemoryLimiter(clock),
    spend: memorySpend(),
    wallets: memoryWallets(),
    windows: memoryWindows(clock),
    feed: { publish() {}, subscribe() {} },
    leader() {
      let held = false;
      return { held: () => held, acquire: async () => (held = true), release: async () => void (held = false) };
    },
    close: async () => {},
  };
}
