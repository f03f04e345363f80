import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config/load";
import type { Config } from "../../src/config/schema";
import { openDeps, type Deps } from "../../src/deps";
import type { Logger, LogFields } from "../../src/lib/log";
import { redisModeEnv } from "./redisMode";

export interface CapturedLog extends Logger {
  lines: string[];
  text(): string;
}

/** A logger that keeps every line, so tests can scan what would have reached stdout/stderr. */
export function captureLog(): CapturedLog {
  const lines: string[] = [];
  const push =
    (level: string) =>
    (event: string, fields: LogFields = {}) => {
      lines.push(JSON.stringify({ level, event, ...fields }));
    };
  return { lines, text: () => lines.join("\n"), info: push("info"), warn: push("warn"), error: push("error") };
}

export interface TestEnv {
  dir: string;
  deps: Deps;
  log: CapturedLog;
  close(): void;
}

/**
 * A real data dir (SQLite file + master key) in a fresh temporary folder. `toml` is a
 * kriora.toml body; `--data` semantics put the database and key inside the folder.
 */
export async function makeTestEnv(
  toml = "",
  overrides: Partial<Pick<Deps, "clock">> & { env?: Record<string, string> } = {},
): Promise<TestEnv> {
  const dir = mkdtempSync(join(tmpdir(), "kriora-test-"));
  const file = join(dir, "kriora.toml");
  writeFileSync(file, toml);
  const redis = redisModeEnv();
  const env = { ...redis.env, ...overrides.env };
  const config: Readonly<Config> = loadConfig({ file, dataDir: join(dir, "data"), env });
  const log = captureLog();
  const deps = await openDeps(config, { log, clock: overrides.clock });
  return {
    dir,
    deps,
    log,
    close() {
      void deps.coord.close().then(redis.drop);
      deps.handle.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
