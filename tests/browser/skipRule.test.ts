import { describe, expect, test } from "bun:test";
import { join } from "node:path";

const root = join(import.meta.dir, "../..");

/** One browser suite run in its own `bun test`, with Chromium reported missing. */
function runWithoutChromium(ci: boolean) {
  const run = Bun.spawnSync([process.execPath, "test", "tests/browser/signIn.test.ts"], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? root,
      KRIORA_TEST_CHROMIUM: "/nonexistent/chromium",
      ...(ci ? { CI: "true" } : {}),
    },
  });
  return { code: run.exitCode, out: run.stdout.toString() + run.stderr.toString() };
}

describe("browser suites without Chromium", () => {
  test("locally: skipped, with one line naming the install command", () => {
    const run = runWithoutChromium(false);
    expect(run.code).toBe(0);
    expect(run.out.match(/browser suites skipped: .* \(apt-get install -y chromium\)/g)).toHaveLength(1);
  }, 30_000);

  test("under CI=true: a failure, never a skip", () => {
    const run = runWithoutChromium(true);
    expect(run.code).not.toBe(0);
    expect(run.out).toContain("missing under CI: apt-get install -y chromium");
  }, 30_000);
});
