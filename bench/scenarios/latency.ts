import { latencies } from "../load";
import { MODEL } from "../shape";
import { quantile } from "../stats";
import { chatRequest, type Target } from "../targets";

export interface LatencyResult {
  /** Time spent on each target, s. */
  seconds: number;
  /** Per target: p50 and p99 in ms, and the number of requests. */
  byTarget: Record<string, { p50: number; p99: number; n: number; errors: number }>;
}

/** Scenario 1: concurrency 1, instant JSON answers; `rounds` runs of `ms` per target, interleaved. */
export async function latencyScenario(targets: Target[], rounds: number, ms: number): Promise<LatencyResult> {
  const samples = new Map<string, number[]>(targets.map((t) => [t.name, []]));
  const errors = new Map<string, number>(targets.map((t) => [t.name, 0]));
  for (let r = 0; r < rounds; r++) {
    for (const t of targets) {
      const run = await latencies(t.url, chatRequest(t, MODEL, false), ms);
      samples.get(t.name)!.push(...run.samples);
      errors.set(t.name, errors.get(t.name)! + run.errors);
    }
  }
  const byTarget: LatencyResult["byTarget"] = {};
  for (const t of targets) {
    const s = samples.get(t.name)!;
    byTarget[t.name] = { p50: quantile(s, 0.5), p99: quantile(s, 0.99), n: s.length, errors: errors.get(t.name)! };
  }
  return { seconds: (rounds * ms) / 1000, byTarget };
}
