import { availableParallelism } from "node:os";
import type { Subprocess } from "bun";
import { UsageError } from "./frame";

/** Set in a worker's environment by its parent `serve --workers N`; its value is the parent's pid. */
export const WORKER_ENV = "KRIORA_WORKER_OF";

/** `--workers N|auto`: how many serving processes (default 1; `auto` is one per core). */
export function workerCount(flag: string | undefined, cores = availableParallelism()): number {
  if (flag === undefined) return 1;
  if (flag === "auto") return cores;
  const n = Number(flag);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new UsageError("--workers takes a number from 1 to 256, or auto");
  return n;
}

/** This process as a command line: `bun main.ts …` from source, the binary itself when compiled. */
function selfCommand(): string[] {
  const compiled = Bun.main.startsWith("/$bunfs/");
  return [process.execPath, ...(compiled ? [] : [Bun.main]), ...process.argv.slice(2)];
}

interface Workers {
  /** Resolves once every worker listens; rejects when one exits before that. */
  ready: Promise<void>;
  /** Resolves with the first exit of a worker that was not asked to stop. */
  lost: Promise<number>;
  /** SIGTERM to every worker (each drains and flushes its usage); resolves with the worst exit code. */
  stop(): Promise<number>;
}

/**
 * Start `count` copies of this `serve` on `port` (they bind it with SO_REUSEPORT). They write their
 * log lines to this process's stdout/stderr and tell it over IPC when they listen.
 */
export function startWorkers(count: number, port: number): Workers {
  let stopping = false;
  let listening = 0;
  let onReady!: () => void;
  let onFailed!: (err: Error) => void;
  const ready = new Promise<void>((resolve, reject) => ((onReady = resolve), (onFailed = reject)));
  let onLost!: (code: number) => void;
  const lost = new Promise<number>((resolve) => (onLost = resolve));
  const procs: Subprocess[] = [];
  for (let i = 0; i < count; i++) {
    const proc = Bun.spawn(selfCommand(), {
      env: { ...process.env, KRIORA_SERVER_PORT: String(port), [WORKER_ENV]: String(process.pid) },
      stdin: "ignore",
      stdout: "inherit",
      stderr: "inherit",
      ipc(message) {
        if ((message as { listening?: unknown }).listening === true && ++listening === count) onReady();
      },
    });
    void proc.exited.then((code) => {
      if (stopping) return;
      onFailed(new Error(`worker exited (${code})`));
      onLost(code === 0 ? 1 : code);
    });
    procs.push(proc);
  }
  return {
    ready,
    lost,
    async stop() {
      stopping = true;
      for (const p of procs) if (p.exitCode === null) p.kill("SIGTERM");
      const codes = await Promise.all(procs.map((p) => p.exited));
      return codes.some((c) => c !== 0) ? 1 : 0;
    },
  };
}

/** In a worker: stop (as on SIGTERM) when the parent is gone, e.g. killed with SIGKILL. */
export function watchParent(parentPid: number, stop: () => void): void {
  const timer = setInterval(() => {
    if (process.ppid !== parentPid) stop();
  }, 1_000);
  timer.unref();
}
