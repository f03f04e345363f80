import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BindError, startServer } from "../../src/http/serve";
import { makeTestEnv } from "../helpers/deps";
import { startServe } from "../helpers/process";

const dir = mkdtempSync(join(tmpdir(), "kriora-bind-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MAIN = join(import.meta.dir, "../../src/main.ts");

describe("§5 availability: a port is never shared by accident (issue #16 item 6)", () => {
  test("a second `kriora serve` on the same port exits 1 saying the address is in use; the first keeps serving", async () => {
    const first = await startServe([process.execPath, MAIN, "serve", "--data", join(dir, "one")], dir);
    try {
      const port = new URL(first.url).port;
      const second = Bun.spawn([process.execPath, MAIN, "serve", "--data", join(dir, "two")], {
        cwd: dir,
        env: { PATH: process.env.PATH ?? "", HOME: dir, KRIORA_SERVER_PORT: port },
        stdin: "ignore",
        stdout: "pipe",
        stderr: "pipe",
      });
      const timer = setTimeout(() => second.kill("SIGKILL"), 15_000);
      const code = await second.exited;
      clearTimeout(timer);
      expect({ code, stderr: await new Response(second.stderr).text() }).toEqual({
        code: 1,
        stderr: `kriora serve: address 127.0.0.1:${port} is in use\n`,
      });
      expect(await new Response(second.stdout).text()).not.toContain('"event":"listening"');
      for (let i = 0; i < 5; i++) expect((await fetch(`${first.url}/healthz`)).status).toBe(200);
    } finally {
      expect(await first.stop()).toBe(0);
    }
  }, 30_000);

  test("another bind failure says which address and why", async () => {
    const env = await makeTestEnv('[server]\nhost = "203.0.113.5"\nport = 0');
    try {
      expect(() => startServer(env.deps)).toThrow(
        new BindError("address 203.0.113.5:0 is not an address of this machine (server.host)"),
      );
    } finally {
      env.close();
    }
  });
});
