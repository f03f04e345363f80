import { streams } from "../load";
import { cpuTicks } from "../procs";
import { MODEL, STREAM_EVENTS } from "../shape";
import { chatRequest, type Target } from "../targets";

export interface ChunkCpuPath {
  streams: number;
  /** Events relayed to the clients, in all. */
  events: number;
  /** Streams that did not end with 200 and every event. */
  incomplete: number;
  /** The proxy's CPU over the rounds, µs per stream (its request and all its events). */
  microsPerStream: number;
  /** The same, less one JSON request's CPU (scenario 2), spread over the stream's events. */
  microsPerEvent: number;
}

export interface ChunkCpuResult {
  concurrent: number;
  rounds: number;
  byTarget: Record<string, ChunkCpuPath>;
}

/**
 * The CPU a proxy spends per relayed chunk: `concurrent` paced streams at once, `rounds` times,
 * its CPU read from /proc before and after each round. A stream's CPU is its request's plus its
 * events'; the request's share is taken to be what one instant JSON request cost it under load.
 */
export async function chunkCpuScenario(
  targets: Target[],
  concurrent: number,
  rounds: number,
  microsPerRequest: Record<string, number>,
): Promise<ChunkCpuResult> {
  const proxies = targets.filter((t) => t.pid !== null);
  const acc = new Map(proxies.map((t) => [t.name, { streams: 0, events: 0, incomplete: 0, ticks: 0 }]));
  for (let r = 0; r < rounds; r++) {
    for (const t of proxies) {
      const before = cpuTicks(t.pid!);
      const results = await streams(t.url, chatRequest(t, MODEL, true), concurrent);
      const a = acc.get(t.name)!;
      a.ticks += cpuTicks(t.pid!) - before;
      a.streams += results.length;
      for (const s of results) {
        a.events += s.events;
        if (s.status !== 200 || s.events !== STREAM_EVENTS) a.incomplete++;
      }
    }
  }
  const byTarget: Record<string, ChunkCpuPath> = {};
  for (const [name, a] of acc) {
    const microsPerStream = ((a.ticks / 100) * 1e6) / Math.max(a.streams, 1);
    byTarget[name] = {
      streams: a.streams,
      events: a.events,
      incomplete: a.incomplete,
      microsPerStream,
      microsPerEvent: (microsPerStream - (microsPerRequest[name] ?? 0)) / STREAM_EVENTS,
    };
  }
  return { concurrent, rounds, byTarget };
}
