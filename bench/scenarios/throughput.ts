import { closedLoop } from "../load";
import { cpuTicks } from "../procs";
import { MODEL } from "../shape";
import { median } from "../stats";
import { chatRequest, type Target } from "../targets";

export interface ThroughputPath {
  /** Requests/s of each round and their median. */
  rounds: number[];
  rps: number;
  errors: number;
  /** Requests answered with 200 over the rounds. */
  ok: number;
  /**
   * CPU used during the rounds, % of one core: the generator (this process), the upstream, the
   * proxy, and the database servers when a `servers` meter is given (0 otherwise).
   */
  cpu: { generator: number; upstream: number; proxy: number; servers: number };
  /** The proxy's CPU per request, µs (0 for direct). */
  proxyMicrosPerRequest: number;
}

export interface ThroughputResult {
  connections: number;
  byTarget: Record<string, ThroughputPath>;
}

/**
 * Scenario 2: `connections` keep-alive connections against the instant upstream, interleaved
 * rounds, with every process's CPU counted so a ratio can be told apart from a starved process.
 * `servers` reads the CPU ticks of the database servers the proxies use, if any.
 */
export async function throughputScenario(
  targets: Target[],
  upstreamPid: number,
  connections: number,
  rounds: number,
  ms: number,
  servers: () => number = () => 0,
): Promise<ThroughputResult> {
  const acc = new Map(
    targets.map((t) => [t.name, { rounds: [] as number[], errors: 0, ok: 0, seconds: 0, ticks: [0, 0, 0, 0] }]),
  );
  for (let r = 0; r < rounds; r++) {
    for (const t of targets) {
      const meters = [
        () => cpuTicks("self"),
        () => cpuTicks(upstreamPid),
        () => (t.pid ? cpuTicks(t.pid) : 0),
        servers,
      ];
      const before = meters.map((m) => m());
      const run = await closedLoop(t.url, chatRequest(t, MODEL, false), connections, ms);
      const a = acc.get(t.name)!;
      for (const [i, m] of meters.entries()) a.ticks[i]! += m() - before[i]!;
      a.rounds.push(run.rps);
      a.errors += run.errors;
      a.ok += run.ok;
      a.seconds += run.seconds;
    }
  }
  const byTarget: ThroughputResult["byTarget"] = {};
  for (const [name, a] of acc) {
    const pct = (ticks: number) => ticks / a.seconds;
    byTarget[name] = {
      rounds: a.rounds,
      rps: median(a.rounds),
      errors: a.errors,
      ok: a.ok,
      cpu: {
        generator: pct(a.ticks[0]!),
        upstream: pct(a.ticks[1]!),
        proxy: pct(a.ticks[2]!),
        servers: pct(a.ticks[3]!),
      },
      proxyMicrosPerRequest: ((a.ticks[2]! / 100) * 1e6) / Math.max(a.ok, 1),
    };
  }
  return { connections, byTarget };
}
