import { slowReaders } from "../load";
import { rssOf } from "../procs";
import { FLOOD_BYTES, FLOOD_MODEL } from "../shape";
import { chatRequest, type Target } from "../targets";

export interface SlowReaderRun {
  idleRss: number;
  /** Peak RSS in the first and in the second half of the run, bytes. */
  firstHalfRss: number;
  secondHalfRss: number;
  /** What the upstream produced and the clients read, bytes. */
  produced: number;
  consumed: number;
  /** Backpressure reached the upstream (it stopped producing) and RSS stopped growing. */
  bounded: boolean;
}

export interface SlowReadersResult {
  readers: number;
  bytesPerSecond: number;
  seconds: number;
  byTarget: Record<string, SlowReaderRun>;
}

const producedBy = async (upstreamUrl: string) =>
  ((await (await fetch(upstreamUrl + "/stats")).json()) as { produced: number }).produced;

/**
 * Scenario 5: `readers` clients each reading a fast 64 MB stream at `bytesPerSecond`. Without
 * backpressure a proxy would hold what the upstream produced and the clients did not read; with
 * it, the upstream stops once the socket buffers on the way are full and the proxy's RSS levels off.
 */
export async function slowReadersScenario(
  proxies: Target[],
  upstreamUrl: string,
  readers: number,
  bytesPerSecond: number,
  ms: number,
): Promise<SlowReadersResult> {
  const byTarget: SlowReadersResult["byTarget"] = {};
  for (const t of proxies) {
    const idleRss = rssOf(t.pid!);
    const peaks = [idleRss, idleRss];
    const before = await producedBy(upstreamUrl);
    const consumed = await slowReaders(
      t.url,
      chatRequest(t, FLOOD_MODEL, true),
      readers,
      bytesPerSecond,
      ms,
      (elapsed) => {
        const half = elapsed < ms / 2 ? 0 : 1;
        peaks[half] = Math.max(peaks[half]!, rssOf(t.pid!));
      },
    );
    const produced = (await producedBy(upstreamUrl)) - before;
    const [firstHalfRss, secondHalfRss] = peaks as [number, number];
    const bounded = produced < (readers * FLOOD_BYTES) / 2 && secondHalfRss - idleRss <= (firstHalfRss - idleRss) * 1.1;
    byTarget[t.name] = { idleRss, firstHalfRss, secondHalfRss, produced, consumed, bounded };
    await Bun.sleep(500);
  }
  return { readers, bytesPerSecond, seconds: ms / 1000, byTarget };
}
