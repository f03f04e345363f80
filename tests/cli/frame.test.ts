import { describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { commands, runCli } from "../../src/cli/run";

async function cli(argv: string[], env: Record<string, string> = {}) {
  let out = "";
  let err = "";
  const code = await runCli(argv, { out: (t) => void (out += t), err: (t) => void (err += t), env, isTTY: false });
  return { code, out, err };
}

const dataDir = () => mkdtempSync(join(tmpdir(), "kriora-cli-"));

describe("command frame", () => {
  test.each(commands.map((c) => [c.name]))("`%s --help` explains the command and exits 0", async (name) => {
    const res = await cli([...name.split(" "), "--help"]);
    expect(res.code).toBe(0);
    expect(res.out).toContain(`Usage: kriora ${name}`);
    expect(res.out).toContain("--json");
  });

  test("`--help` alone lists every command", async () => {
    const res = await cli(["--help"]);
    expect(res.code).toBe(0);
    for (const c of commands) expect(res.out).toContain(c.name);
  });

  test("usage errors exit 2 with the command's help on stderr", async () => {
    expect((await cli(["nope"])).code).toBe(2);
    const flag = await cli(["migrate", "--bogus"]);
    expect(flag.code).toBe(2);
    expect(flag.err).toContain("unknown flag --bogus");
    expect(flag.err).toContain("Usage: kriora migrate");
    expect((await cli(["audit", "tail", "--limit"])).code).toBe(2);
    expect((await cli(["audit", "tail", "--limit", "many", "--data", dataDir()])).code).toBe(2);
  });

  test("failures exit 1 with a message and no stack", async () => {
    const res = await cli(["migrate", "--data", dataDir()], { KRIORA_LIMITS_RPM: "-5" });
    expect(res.code).toBe(1);
    expect(res.err).toContain("limits.rpm");
    expect(res.err).not.toContain("    at ");
  });

  test("--json prints exactly one JSON document; global flags may come before the command", async () => {
    const dir = dataDir();
    const res = await cli(["--data", dir, "--json", "migrate"]);
    expect(res.code).toBe(0);
    const doc = JSON.parse(res.out);
    expect(doc.pending).toBe(0);
    const version = await cli(["version", "--json"]);
    expect(JSON.parse(version.out)).toEqual({ version: expect.any(String) });
  });
});

describe("--json output stays one document", () => {
  test("a command that logs (accounts delete) still prints exactly one JSON document on stdout; its log line goes to stderr", async () => {
    const dir = dataDir();
    expect((await cli(["accounts", "create", "--email", "json-doc@example.com", "--data", dir])).code).toBe(0);
    const res = await cli(["accounts", "delete", "json-doc@example.com", "--yes", "--json", "--data", dir]);
    expect(res.code).toBe(0);
    expect(() => JSON.parse(res.out)).not.toThrow();
    expect(res.err).toContain('"event":"account_erased"');
    expect(res.err).not.toContain("json-doc@example.com");
  });
});
