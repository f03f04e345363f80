import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { makeAccount, makeKey } from "../helpers/identity";
import { makeTestEnv, type TestEnv } from "../helpers/deps";

const main = join(import.meta.dir, "../../src/main.ts");
let env: TestEnv;

/** Enough keys that `keys list --json` is far larger than a pipe's buffer. */
beforeAll(async () => {
  env = await makeTestEnv();
  const account = await makeAccount(env.deps, "pipe@example.test");
  for (let i = 0; i < 400; i++) await makeKey(env.deps, account.id, { name: `key-${i}` });
  env.deps.handle.close();
}, 60_000);
afterAll(() => env.close());

function shell(script: string) {
  const res = Bun.spawnSync(["bash", "-c", script], {
    env: { PATH: process.env.PATH ?? "", BUN: process.execPath, MAIN: main, DATA: join(env.dir, "data") },
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: res.exitCode, out: res.stdout.toString(), err: res.stderr.toString() };
}

describe("the process as a shell sees it", () => {
  test("`keys list --json | head` ends quietly when the reader closes the pipe (no EPIPE)", () => {
    const full = shell(`"$BUN" "$MAIN" keys list --account pipe@example.test --json --data "$DATA" | wc -c`);
    expect(Number(full.out.trim())).toBeGreaterThan(100_000);
    const res = shell(
      `set -o pipefail; "$BUN" "$MAIN" keys list --account pipe@example.test --json --data "$DATA" | head -c 100 >/dev/null`,
    );
    expect(res.err).not.toContain("EPIPE");
    expect(res.code).toBe(0);
  }, 30_000);

  test("`-h` prints the overview and `--version` the version, both exit 0", () => {
    const help = shell(`"$BUN" "$MAIN" -h`);
    expect(help.code).toBe(0);
    expect(help.out).toContain("Usage: kriora <command>");
    const version = shell(`"$BUN" "$MAIN" --version`);
    expect(version.code).toBe(0);
    expect(version.out).toMatch(/^kriora \d+\.\d+\.\d+/);
    const keysHelp = shell(`"$BUN" "$MAIN" keys list -h`);
    expect(keysHelp.out).toContain("Usage: kriora keys list");
  });
});
