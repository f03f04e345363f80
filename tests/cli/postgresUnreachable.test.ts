import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const MAIN = join(import.meta.dir, "../../src/main.ts");
const PASSWORD = "pw-canary-51c0";
const dir = mkdtempSync(join(tmpdir(), "kriora-pg-unreachable-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `kriora serve` with `database.url` from the environment, as an operator would start it. */
function serve(url: string) {
  const res = Bun.spawnSync([process.execPath, MAIN, "serve", "--data", join(dir, "data")], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? "", HOME: dir, KRIORA_SERVER_PORT: "0", KRIORA_DATABASE_URL: url },
    stdout: "pipe",
    stderr: "pipe",
    timeout: 30_000,
  });
  return { code: res.exitCode, out: res.stdout.toString(), err: res.stderr.toString() };
}

describe("serve with database.url it cannot use", () => {
  test("an unreachable server: one line naming host:port/database (never the password), exit 1, nothing served", () => {
    const res = serve(`postgres://kriora:${PASSWORD}@127.0.0.1:1/kriora_prod`);
    expect(res.code).toBe(1);
    expect(res.err).toBe(
      "kriora serve: cannot open PostgreSQL at 127.0.0.1:1/kriora_prod: connection refused or host unreachable\n",
    );
    expect(res.out).not.toContain('"listening"');
    expect(res.out + res.err).not.toContain(PASSWORD);
    // No SQLite file was made instead.
    expect(readdirSync(join(dir, "data"))).not.toContain("kriora.db");
  }, 40_000);

  test("a URL that is not one: refused by the config check, without the password", () => {
    const res = serve(`postgres://kriora:${PASSWORD}@[::1`);
    expect(res.code).toBe(1);
    expect(res.err.trim().split("\n")).toHaveLength(1);
    expect(res.err).toStartWith("kriora serve: ");
    expect(res.out + res.err).not.toContain(PASSWORD);
  }, 40_000);
});
