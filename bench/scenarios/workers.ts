import { closedLoop } from "../load";
import { MODEL } from "../shape";
import { median } from "../stats";
import { chatRequest, type Target } from "../targets";

export interface WorkersResult {
  connections: number;
  /** Median requests/s over the rounds with one serving process and with two. */
  one: { rounds: number[]; rps: number; errors: number };
  two: { rounds: number[]; rps: number; errors: number };
}

/**
 * `kriora serve` against `kriora serve --workers 2`, interleaved rounds of the throughput load.
 * On this 2-core machine the generator and the upstream share the same cores, so the second
 * worker competes with them: the ratio is what this machine allows, not what a gateway host gets.
 */
export async function workersScenario(
  one: Target,
  two: Target,
  connections: number,
  rounds: number,
  ms: number,
): Promise<WorkersResult> {
  const acc = { one: { rounds: [] as number[], errors: 0 }, two: { rounds: [] as number[], errors: 0 } };
  for (let r = 0; r < rounds; r++)
    for (const [side, t] of [
      ["one", one],
      ["two", two],
    ] as const) {
      const run = await closedLoop(t.url, chatRequest(t, MODEL, false), connections, ms);
      acc[side].rounds.push(run.rps);
      acc[side].errors += run.errors;
    }
  return {
    connections,
    one: { ...acc.one, rps: median(acc.one.rounds) },
    two: { ...acc.two, rps: median(acc.two.rounds) },
  };
}
