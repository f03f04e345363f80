import type { Subprocess } from "bun";
import { readFileSync } from "node:fs";
import { join } from "node:path";

export interface Child {
  name: string;
  pid: number;
  /** The URL the child printed when it started listening. */
  url: string;
  /** Resident set size now (VmRSS from /proc), in bytes. */
  rss(): number;
  /** SIGTERM, then the exit code (SIGKILL after 10 s). */
  stop(): Promise<number>;
}

/** The line a bench child prints once it listens, and how the orchestrator finds its URL. */
export const URL_LINE = /"url":"([^"]+)"/;

/** Serve `fetch` on a free loopback port (production mode, no idle timeout) and print the URL line. */
export function serveOnLoopback(fetch: (req: Request) => Response | Promise<Response>) {
  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, development: false, idleTimeout: 0, fetch });
  console.log(JSON.stringify({ url: `http://127.0.0.1:${server.port}` }));
}

const running = new Set<Subprocess>();

// Whatever ends the orchestrator, no child outlives it.
process.on("exit", () => {
  for (const proc of running) proc.kill("SIGKILL");
});

/**
 * A process's resident set in bytes (all 0 once it is gone): `anon` is its own memory (heap,
 * stacks, JIT code), `file` the pages of mapped files it has touched, almost all of them its
 * executable's code: shared with every process running that file, and given back under pressure.
 */
export interface RssParts {
  rss: number;
  anon: number;
  file: number;
}

export function rssParts(pid: number): RssParts {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(status)?.[1] ?? 0) * 1024;
    return { rss: kb("VmRSS"), anon: kb("RssAnon"), file: kb("RssFile") };
  } catch {
    return { rss: 0, anon: 0, file: 0 };
  }
}

/** Resident set size of a process, in bytes (0 once it is gone). */
export const rssOf = (pid: number): number => rssParts(pid).rss;

/**
 * CPU a process has used, in clock ticks (USER_HZ, 100 a second): user + system, plus with
 * `waitedChildren` the children it has waited for. 0 once it is gone.
 */
export function cpuTicks(pid: number | "self", waitedChildren = false): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields 14–17 of proc(5): utime, stime, cutime, cstime (12–15 after the command name).
    const f = stat
      .slice(stat.lastIndexOf(")") + 2)
      .split(" ")
      .map(Number);
    return f[11]! + f[12]! + (waitedChildren ? f[13]! + f[14]! : 0);
  } catch {
    return 0;
  }
}

/** Soft and hard limits on open files of this process. */
export function fdLimits(): { soft: number; hard: number } {
  const match = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(readFileSync("/proc/self/limits", "utf8"));
  const value = (s: string | undefined) => (s === undefined ? 1024 : s === "unlimited" ? 1_048_576 : Number(s));
  return { soft: value(match?.[1]), hard: value(match?.[2]) };
}

/**
 * Start `cmd` with its open-file limit raised to the hard limit (streams need many sockets), its
 * output in files under `dir`, and wait until its stdout shows a URL matched by `listening`.
 */
export async function startChild(
  name: string,
  cmd: string[],
  dir: string,
  listening: RegExp,
  env: Record<string, string> = {},
  startMs = 20_000,
): Promise<Child> {
  const out = join(dir, `${name}.out`);
  const err = join(dir, `${name}.err`);
  const proc = Bun.spawn(["sh", "-c", 'ulimit -n "$(ulimit -Hn)"; exec "$@"', "sh", ...cmd], {
    cwd: process.cwd(),
    env: { ...process.env, ...env },
    stdin: "ignore",
    stdout: Bun.file(out),
    stderr: Bun.file(err),
  });
  running.add(proc);
  const deadline = Date.now() + startMs;
  let url: string | undefined;
  while (!url) {
    await Bun.sleep(25);
    url = listening.exec(await Bun.file(out).text())?.[1];
    if (!url && (proc.exitCode !== null || Date.now() > deadline)) {
      proc.kill("SIGKILL");
      running.delete(proc);
      throw new Error(`${name} did not start (exit ${proc.exitCode}): ${(await Bun.file(err).text()).slice(-800)}`);
    }
  }
  return {
    name,
    pid: proc.pid,
    url,
    rss: () => rssOf(proc.pid),
    async stop() {
      proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
      const code = await proc.exited;
      clearTimeout(timer);
      running.delete(proc);
      return code;
    },
  };
}

/** Run a command to completion and return its stdout (it must exit 0). */
export async function runCommand(cmd: string[]): Promise<string> {
  const proc = Bun.spawn(cmd, { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  if (code !== 0) throw new Error(`${cmd.slice(0, 4).join(" ")} … exited ${code}: ${stderr.slice(-500)}`);
  return stdout;
}
