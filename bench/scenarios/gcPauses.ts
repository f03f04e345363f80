import { readFileSync } from "node:fs";
import { join } from "node:path";
import { startGateway } from "../gateway";
import { latencies } from "../load";
import { MODEL } from "../shape";
import { quantile } from "../stats";
import { chatRequest, type Target } from "../targets";

export interface GcPausesResult {
  requests: number;
  /** Garbage collections (eden and full) while those requests ran. */
  collections: number;
  /** Every stop of the process for a collection, ms (a collection stops it one or more times). */
  pauses: number[];
  p50: number;
  p99: number;
}

const NAME = "kriora-gc";
/** `[GC<…>: START M 8080kb => EdenCollection, …]` opens a collection; every `p=1.23ms` is one pause. */
const COLLECTION = /=> (?:Eden|Full)Collection/g;
const PAUSE = /\bp=([\d.]+)ms/g;

/**
 * Garbage-collector pauses under the latency load (concurrency 1, instant JSON): one more
 * gateway, started with JavaScriptCore's own GC log (`BUN_JSC_logGC=1`, on its stderr), warmed
 * up, then driven for `ms`; the log written meanwhile is read for collections and pauses.
 */
export async function gcPausesScenario(upstreamUrl: string, dir: string, ms: number): Promise<GcPausesResult> {
  const gw = await startGateway(upstreamUrl, dir, NAME, { env: { BUN_JSC_logGC: "1" } });
  const log = join(dir, `${NAME}.err`);
  try {
    const target: Target = { name: "kriora", url: gw.url, headers: { authorization: `Bearer ${gw.key}` }, pid: gw.pid };
    const request = chatRequest(target, MODEL, false);
    await latencies(gw.url, request, 2_000);
    const from = readFileSync(log, "utf8").length;
    const run = await latencies(gw.url, request, ms);
    const text = readFileSync(log, "utf8").slice(from);
    const pauses = [...text.matchAll(PAUSE)].map((m) => Number(m[1]));
    return {
      requests: run.samples.length,
      collections: [...text.matchAll(COLLECTION)].length,
      pauses,
      p50: quantile(run.samples, 0.5),
      p99: quantile(run.samples, 0.99),
    };
  } finally {
    await gw.stop();
  }
}
