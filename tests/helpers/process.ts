import type { Subprocess } from "bun";
import { afterAll } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFakeUpstream } from "./fakeUpstream";
import { databaseEnv, dropDatabase } from "./pg";

export interface Served {
  proc: Subprocess<"ignore", "pipe", "pipe">;
  url: string;
  /** Everything the process wrote so far. */
  stdout(): string;
  stderr(): string;
  /** SIGTERM, then the exit code (SIGKILL after 5 s so a test never hangs). */
  stop(): Promise<number>;
}

async function drain(stream: ReadableStream<Uint8Array>, into: { text: string }) {
  const decoder = new TextDecoder();
  for await (const chunk of stream) into.text += decoder.decode(chunk, { stream: true });
}

/**
 * Start `kriora serve` (binary or `bun src/main.ts`) on a free port and wait for its listening line.
 * In PostgreSQL mode it runs on the schema of its data dir (`--data`, else `<cwd>/data`): drop it
 * with `dropDatabase(dataDir)` after the file's tests (serveWorkspace does). A test about SQLite
 * (its files) passes `KRIORA_DATABASE_URL: ""`.
 */
export async function startServe(cmd: string[], cwd: string, env: Record<string, string> = {}): Promise<Served> {
  const data = cmd.indexOf("--data");
  const database =
    "KRIORA_DATABASE_URL" in env ? {} : await databaseEnv(data >= 0 ? cmd[data + 1]! : join(cwd, "data"));
  const proc = Bun.spawn(cmd, {
    cwd,
    env: { PATH: process.env.PATH ?? "", HOME: cwd, KRIORA_SERVER_PORT: "0", ...database, ...env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const out = { text: "" };
  const err = { text: "" };
  const outDone = drain(proc.stdout, out);
  const errDone = drain(proc.stderr, err);
  const deadline = Date.now() + 15_000;
  let url: string | undefined;
  while (!url) {
    url = /"event":"listening","url":"([^"]+)"/.exec(out.text)?.[1];
    if (url) break;
    if (proc.exitCode !== null || Date.now() > deadline) {
      proc.kill("SIGKILL");
      throw new Error(`server did not start (exit ${proc.exitCode}): ${err.text.slice(0, 500)}`);
    }
    await Bun.sleep(20);
  }
  return {
    proc,
    url,
    stdout: () => out.text,
    stderr: () => err.text,
    async stop() {
      proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), 5_000);
      const code = await proc.exited;
      clearTimeout(timer);
      await Promise.all([outDone, errDone]);
      return code;
    },
  };
}

/** A temp dir (config file path, data dir) and a fake upstream for a file of `kriora serve` tests; both go after the file's tests. */
export function serveWorkspace(prefix: string) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const fake = startFakeUpstream();
  const data = join(dir, "data");
  afterAll(async () => {
    await fake.stop();
    await dropDatabase(data);
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, fake, config: join(dir, "kriora.toml"), data };
}
