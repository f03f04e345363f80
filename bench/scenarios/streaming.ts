import { streams, type StreamResult } from "../load";
import { MODEL, STREAM_EVENTS } from "../shape";
import { quantile } from "../stats";
import { chatRequest, type Target } from "../targets";

export interface StreamingPath {
  /** Request sent → first chunk received, p50. */
  ttfcP50: number;
  /** The two parts of it: request sent → upstream received it, and upstream sent the first chunk → received, p50. */
  toUpstreamP50: number;
  firstChunkP50: number;
  /** Every chunk's one-way delay, upstream send → client, p50. */
  chunkDelayP50: number;
  /** Inter-chunk gap as received, p99. */
  gapP99: number;
  /** Received gap minus the upstream's own gap for the same pair of chunks, p99. */
  jitterP99: number;
  streams: number;
  incomplete: number;
}

/** Per target, in ms. */
export interface StreamingResult {
  byTarget: Record<string, StreamingPath>;
}

/** What a path adds to each gap: received gap minus sent gap, so the upstream's timer noise cancels. */
function jitters(r: StreamResult): { gaps: number[]; jitters: number[] } {
  const gaps: number[] = [];
  const out: number[] = [];
  for (let i = 1; i < r.stamps.length; i++) {
    const [arrived, sent] = r.stamps[i]!;
    const [prevArrived, prevSent] = r.stamps[i - 1]!;
    gaps.push(arrived - prevArrived);
    out.push(arrived - prevArrived - (sent - prevSent));
  }
  return { gaps, jitters: out };
}

/** Scenario 3: one paced stream at a time per target, `rounds` each, interleaved. */
export async function streamingScenario(targets: Target[], rounds: number): Promise<StreamingResult> {
  const runs = new Map<string, StreamResult[]>(targets.map((t) => [t.name, []]));
  for (let r = 0; r < rounds; r++) {
    for (const t of targets)
      runs.get(t.name)!.push(...(await streams(t.url, chatRequest(t, MODEL, true), 1, { stamps: true })));
  }
  const byTarget: StreamingResult["byTarget"] = {};
  for (const t of targets) {
    const rs = runs.get(t.name)!;
    const measured = rs.map(jitters);
    byTarget[t.name] = {
      ttfcP50: quantile(
        rs.map((r) => r.firstMs),
        0.5,
      ),
      toUpstreamP50: quantile(
        rs.map((r) => r.toUpstreamMs),
        0.5,
      ),
      firstChunkP50: quantile(
        rs.map((r) => (r.stamps[0] ? r.stamps[0][0] - r.stamps[0][1] : Number.NaN)),
        0.5,
      ),
      chunkDelayP50: quantile(
        rs.flatMap((r) => r.stamps.map(([arrived, sent]) => arrived - sent)),
        0.5,
      ),
      gapP99: quantile(
        measured.flatMap((m) => m.gaps),
        0.99,
      ),
      jitterP99: quantile(
        measured.flatMap((m) => m.jitters),
        0.99,
      ),
      streams: rs.length,
      incomplete: rs.filter((r) => r.status !== 200 || r.events !== STREAM_EVENTS).length,
    };
  }
  return { byTarget };
}
