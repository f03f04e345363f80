import { readFileSync } from "node:fs";
import { join } from "node:path";
import { startGateway } from "../gateway";
import { rssParts, runCommand, type RssParts } from "../procs";
import type { Target } from "../targets";

export interface IdleResult {
  /** Each serving process right after it started, before any request. */
  byTarget: Record<string, RssParts>;
}

/** The name of the compiled binary's row. */
export const BINARY = "kriora (binary)";
const SETTLE_MS = 2_000;

/** `npm run build`'s own command (package.json), writing the binary to `outfile`. */
function buildCommand(outfile: string): string[] {
  const pkg = JSON.parse(readFileSync("package.json", "utf8")) as { scripts: { build: string } };
  const [bun, ...args] = pkg.scripts.build.split(/\s+/);
  if (bun !== "bun" || !args.includes("--outfile")) throw new Error(`unexpected build script: ${pkg.scripts.build}`);
  args[args.indexOf("--outfile") + 1] = outfile;
  return [process.execPath, ...args];
}

/**
 * RSS right after start, before the first request: every target with a process, and `kriora`
 * once more as the compiled binary users are given (`npm run build`'s command, built into `dir`,
 * on a data dir of its own).
 */
export async function idleScenario(targets: Target[], upstreamUrl: string, dir: string): Promise<IdleResult> {
  await Bun.sleep(SETTLE_MS);
  const byTarget: Record<string, RssParts> = {};
  for (const t of targets) if (t.pid !== null) byTarget[t.name] = rssParts(t.pid);
  const binary = join(dir, "kriora-binary");
  await runCommand(buildCommand(binary));
  const gw = await startGateway(upstreamUrl, dir, "kriora-binary-serve", {
    command: [binary],
    env: { BUN_CONFIG_MAX_HTTP_REQUESTS: "65336" },
  });
  try {
    await Bun.sleep(SETTLE_MS);
    byTarget[BINARY] = rssParts(gw.pid);
  } finally {
    await gw.stop();
  }
  return { byTarget };
}
