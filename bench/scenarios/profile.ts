import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { startGateway } from "../gateway";
import { closedLoop, streams } from "../load";
import { hotSpots, profileIn, type HotSpot, type Origin } from "../profile";
import { MODEL } from "../shape";
import { chatRequest, type Target } from "../targets";

export interface ProfileResult {
  connections: number;
  rps: number;
  /** Sampled CPU over wall time of the profiled gateway, %. */
  busyPct: number;
  self: HotSpot[];
  inclusive: HotSpot[];
  /** Self time by where the code comes from. */
  origins: Origin[];
}

/**
 * Where Kriora's CPU goes under load: a gateway of its own under `bun --cpu-prof`, its profile
 * read when it stops. `json` drives it with `connections` connections of instant JSON for `ms`;
 * `streams` with rounds of `connections` paced streams at once until `ms` have passed (`rps` is
 * then streams per second).
 */
export async function profileScenario(
  upstreamUrl: string,
  dir: string,
  load: "json" | "streams",
  connections: number,
  ms: number,
  top: number,
): Promise<ProfileResult> {
  const profileDir = join(dir, `profile-${load}`);
  mkdirSync(profileDir, { recursive: true });
  const gw = await startGateway(upstreamUrl, dir, `kriora-profiled-${load}`, { profileDir });
  let rps = 0;
  try {
    const target: Target = { name: "kriora", url: gw.url, headers: { authorization: `Bearer ${gw.key}` }, pid: gw.pid };
    if (load === "json") rps = (await closedLoop(gw.url, chatRequest(target, MODEL, false), connections, ms)).rps;
    else {
      const started = performance.now();
      let done = 0;
      while (performance.now() - started < ms)
        done += (await streams(gw.url, chatRequest(target, MODEL, true), connections)).length;
      rps = done / ((performance.now() - started) / 1000);
    }
  } finally {
    await gw.stop();
  }
  const file = profileIn(profileDir);
  if (!file) throw new Error("bun --cpu-prof wrote no profile");
  return { connections, rps, ...hotSpots(file, `file://${process.cwd()}`, top) };
}
