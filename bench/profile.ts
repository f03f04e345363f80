import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  startTime: number;
  endTime: number;
}

export interface HotSpot {
  /** `function (file:line)`, the file relative to the repository. */
  where: string;
  /** Share of all samples spent in the function itself, %. */
  selfPct: number;
  /** Share of all samples with the function anywhere on the stack, %. */
  totalPct: number;
}

export interface Origin {
  /** `kriora src`, `native` (Bun and JavaScriptCore built-ins), an npm package, or `other`. */
  origin: string;
  selfPct: number;
}

function originOf(url: string, root: string): string {
  if (!url) return "native";
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return pkg[1]!;
  return url.startsWith(`${root}/src/`) ? "kriora src" : "other";
}

/** The newest `.cpuprofile` that `bun --cpu-prof` wrote into `dir`. */
export function profileIn(dir: string): string | null {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".cpuprofile"))
    .sort();
  return files.length ? join(dir, files[files.length - 1]!) : null;
}

/**
 * The functions a CPU profile spent its time in, by samples (each one sampling interval of CPU;
 * an idle process is not sampled): by self time and, for the project's own code, by time on the
 * stack (what a request path calls into). `busyPct` is sampled CPU time over the profile's wall time.
 */
export function hotSpots(
  file: string,
  root: string,
  top: number,
  intervalUs = 1000,
): { self: HotSpot[]; inclusive: HotSpot[]; origins: Origin[]; busyPct: number } {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const keyOf = (n: ProfileNode) => {
    const { functionName, url, lineNumber } = n.callFrame;
    const file = url.startsWith(root) ? relative(root, url) : url || "native";
    return `${functionName || "(anonymous)"} (${file}${url ? `:${lineNumber + 1}` : ""})`;
  };
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  const origins = new Map<string, number>();
  for (const id of profile.samples) {
    const node = byId.get(id)!;
    const origin = originOf(node.callFrame.url, root);
    origins.set(origin, (origins.get(origin) ?? 0) + 1);
    const key = keyOf(node);
    self.set(key, (self.get(key) ?? 0) + 1);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) seen.add(keyOf(byId.get(at)!));
    for (const k of seen) total.set(k, (total.get(k) ?? 0) + 1);
  }
  const pct = (v: number) => Math.round((1000 * v) / Math.max(profile.samples.length, 1)) / 10;
  const rows = (m: Map<string, number>, keep: (k: string) => boolean) =>
    [...m]
      .filter(([k]) => keep(k))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([where]) => ({ where, selfPct: pct(self.get(where) ?? 0), totalPct: pct(total.get(where) ?? 0) }));
  return {
    self: rows(self, () => true),
    inclusive: rows(total, (k) => k.includes("(src/")),
    origins: [...origins].sort((a, b) => b[1] - a[1]).map(([origin, n]) => ({ origin, selfPct: pct(n) })),
    busyPct: Math.round((profile.samples.length * intervalUs * 100) / Math.max(profile.endTime - profile.startTime, 1)),
  };
}
