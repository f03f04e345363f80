import { inFlightTogether, streams } from "../load";
import { rssOf } from "../procs";
import { MODEL, STALL_MS, STREAM_EVENTS } from "../shape";
import { median } from "../stats";
import { chatRequest, type Target } from "../targets";

export interface Rung {
  target: string;
  streams: number;
  passed: boolean;
  /** The most streams relaying at one instant: all of them, or the rung is not concurrent. */
  together: number;
  /** SSE events that never arrived, over all streams. */
  lost: number;
  /** Streams that ended without a complete 200 response. */
  cut: number;
  /** Streams with a gap over STALL_MS. */
  stalls: number;
  maxGapMs: number;
  ttfcP50: number;
  /** Peak RSS of the process in between during the rung, bytes (null for direct). */
  peakRss: number | null;
}

export interface ConcurrencyResult {
  rungs: Rung[];
  /** Per target, the highest rung passed (0 when none). */
  best: Record<string, number>;
  /** Which target's RSS `rss` follows. */
  rssOf: string;
  /** RSS in bytes: idle before the ladder, peak at 1,000 streams, after they ended, after the whole ladder. */
  rss: { idle: number; at1k: number; after1k: number; afterAll: number };
  /** The highest rung the open-file limits allow (each gateway stream holds two sockets). */
  fdCap: number;
}

/** RSS once it is back within 10% of `idle`, or after `ms` whatever it is. */
async function settledRss(pid: number, idle: number, ms: number): Promise<number> {
  const until = performance.now() + ms;
  let rss = rssOf(pid);
  while (rss > idle * 1.1 && performance.now() < until) {
    await Bun.sleep(250);
    rss = rssOf(pid);
  }
  return rss;
}

/**
 * Scenario 4: concurrent paced streams, a rung at a time, each target in turn; a target leaves
 * the ladder at its first failed rung: a lost event, a cut stream, a gap over 10× the pace, or
 * streams that were not all relaying at once (a proxy that queues requests). `watched` is the
 * target whose RSS is followed.
 */
export async function concurrencyScenario(
  targets: Target[],
  ladder: number[],
  watched: Target,
  fdCap: number,
): Promise<ConcurrencyResult> {
  const gatewayPid = watched.pid!;
  await Bun.sleep(1_000);
  const rss = { idle: rssOf(gatewayPid), at1k: 0, after1k: 0, afterAll: 0 };
  const best: Record<string, number> = Object.fromEntries(targets.map((t) => [t.name, 0]));
  const active = new Set(targets);
  const rungs: Rung[] = [];
  for (const n of ladder.filter((r) => r <= fdCap)) {
    for (const t of targets.filter((x) => active.has(x))) {
      let peak = 0;
      const sample = t.pid === null ? undefined : () => (peak = Math.max(peak, rssOf(t.pid!)));
      const results = await streams(t.url, chatRequest(t, MODEL, true), n, { during: sample });
      const rung: Rung = {
        target: t.name,
        streams: n,
        lost: results.reduce((sum, r) => sum + Math.max(0, STREAM_EVENTS - r.events), 0),
        cut: results.filter((r) => r.status !== 200).length,
        stalls: results.filter((r) => r.maxGapMs > STALL_MS).length,
        maxGapMs: Math.max(...results.map((r) => r.maxGapMs)),
        ttfcP50: median(results.map((r) => r.firstMs)),
        peakRss: t.pid === null ? null : peak,
        together: inFlightTogether(results),
        passed: false,
      };
      rung.passed = rung.lost === 0 && rung.cut === 0 && rung.stalls === 0 && rung.together === n;
      rungs.push(rung);
      if (rung.passed) best[t.name] = n;
      else active.delete(t);
      if (t === watched && n === 1_000) {
        rss.at1k = peak;
        rss.after1k = await settledRss(gatewayPid, rss.idle, 10_000);
      }
      await Bun.sleep(300);
    }
  }
  rss.afterAll = await settledRss(gatewayPid, rss.idle, 10_000);
  return { rungs, best, rssOf: watched.name, rss, fdCap };
}
