import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { startGateway } from "../gateway";
import { closedLoop } from "../load";
import { hotSpots, profileIn, type HotSpot, type Origin } from "../profile";
import { MODEL } from "../shape";
import { chatRequest } from "../targets";

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
 * Where Kriora's CPU goes under the throughput load: a second gateway under `bun --cpu-prof`,
 * driven by `connections` connections for `ms`, its profile read when it stops.
 */
export async function profileScenario(
  upstreamUrl: string,
  dir: string,
  connections: number,
  ms: number,
  top: number,
): Promise<ProfileResult> {
  const profileDir = join(dir, "profile");
  mkdirSync(profileDir, { recursive: true });
  const gw = await startGateway(upstreamUrl, dir, "kriora-profiled", { profileDir });
  let rps = 0;
  try {
    const request = chatRequest(
      { name: "kriora", url: gw.url, headers: { authorization: `Bearer ${gw.key}` }, pid: gw.pid },
      MODEL,
      false,
    );
    rps = (await closedLoop(gw.url, request, connections, ms)).rps;
  } finally {
    await gw.stop();
  }
  const file = profileIn(profileDir);
  if (!file) throw new Error("bun --cpu-prof wrote no profile");
  return { connections, rps, ...hotSpots(file, `file://${process.cwd()}`, top) };
}
