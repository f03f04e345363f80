import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TSchema } from "@sinclair/typebox";
import { loadConfig } from "../../src/config/load";
import { ConfigSchema } from "../../src/config/schema";

const deploy = join(import.meta.dir, "../../deploy");
const dir = mkdtempSync(join(tmpdir(), "kriora-deploy-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every key path of a schema: `server.port`, `providers[].id`, `models[].deployments[].weight` … */
function schemaKeys(schema: TSchema, prefix = ""): string[] {
  if (schema.type === "object" && schema.properties)
    return Object.entries(schema.properties as Record<string, TSchema>).flatMap(([k, s]) => {
      const path = prefix ? `${prefix}.${k}` : k;
      const nested =
        s.type === "array" && s.items?.type === "object"
          ? schemaKeys(s.items, `${path}[]`)
          : s.type === "object"
            ? schemaKeys(s, path)
            : [];
      return nested.length ? nested : [path];
    });
  return [];
}

/** The key paths a parsed TOML document sets, in the same notation. */
function documentKeys(value: unknown, prefix = ""): string[] {
  if (Array.isArray(value) && value.some((v) => v && typeof v === "object"))
    return [...new Set(value.flatMap((v) => documentKeys(v, `${prefix}[]`)))];
  if (value && typeof value === "object" && !Array.isArray(value))
    return Object.entries(value).flatMap(([k, v]) => {
      const nested = documentKeys(v, prefix ? `${prefix}.${k}` : k);
      return nested.length ? nested : [prefix ? `${prefix}.${k}` : k];
    });
  return [];
}

/** The example with its settings uncommented: `# key = value` and `# [section]` lines. */
const uncommented = (text: string) => text.replace(/^# (\[\[?[\w.]+\]\]?|\w+ = .*)$/gm, "$1");

describe("deploy/kriora.example.toml", () => {
  const text = readFileSync(join(deploy, "kriora.example.toml"), "utf8");

  test("as shipped (all commented) it is a valid configuration", () => {
    const file = join(dir, "as-shipped.toml");
    writeFileSync(file, text);
    expect(loadConfig({ file, env: {} }).server.port).toBe(8080);
  });

  test("uncommented, it parses, validates, and sets exactly every key of the config schema", () => {
    const file = join(dir, "uncommented.toml");
    writeFileSync(file, uncommented(text));
    const config = loadConfig({ file, env: { OPENAI_API_KEY: "sk-test" } });
    expect(config.providers[0]?.id).toBe("openai");
    const inFile = documentKeys(Bun.TOML.parse(uncommented(text))).sort();
    expect(inFile).toEqual(schemaKeys(ConfigSchema).sort());
  });
});

describe("deploy/kriora.service", () => {
  const unit = readFileSync(join(deploy, "kriora.service"), "utf8");

  test("runs as a dedicated user in its state directory, hardened", () => {
    for (const line of [
      "User=kriora",
      "WorkingDirectory=/var/lib/kriora",
      "StateDirectory=kriora",
      "Environment=BUN_CONFIG_MAX_HTTP_REQUESTS=65336",
      "NoNewPrivileges=yes",
      "ProtectSystem=strict",
      "PrivateTmp=yes",
      "ProtectHome=yes",
    ])
      expect(unit.split("\n")).toContain(line);
    expect(unit).toContain("--data /var/lib/kriora");
  });

  const analyze = Bun.which("systemd-analyze");
  test("systemd-analyze verify accepts it without a warning; a misspelt key is reported (control)", () => {
    if (!analyze) {
      console.log("skipped: systemd-analyze is not installed on this machine");
      return;
    }
    // verify checks that ExecStart's program exists: point it at a stand-in, nothing else changes.
    const program = join(dir, "kriora");
    writeFileSync(program, "#!/bin/sh\n");
    chmodSync(program, 0o755);
    const verify = (body: string) => {
      const file = join(dir, "kriora.service");
      writeFileSync(file, body.replace("ExecStart=/usr/local/bin/kriora", `ExecStart=${program}`));
      const res = Bun.spawnSync([analyze, "verify", file], { stdout: "pipe", stderr: "pipe" });
      return { code: res.exitCode, said: res.stdout.toString() + res.stderr.toString() };
    };
    expect(verify(unit)).toEqual({ code: 0, said: "" });
    expect(verify(unit.replace("NoNewPrivileges=", "NoNewPrivilegs=")).said).toContain("Unknown key 'NoNewPrivilegs'");
  });
});

describe("deploy/ Docker files", () => {
  test("the image runs the binary as a non-root user with its data on a volume; compose puts a TLS proxy in front and trusts only it", () => {
    const dockerfile = readFileSync(join(deploy, "Dockerfile"), "utf8");
    expect(dockerfile).toMatch(/^USER \d+/m);
    expect(dockerfile).toContain("VOLUME /var/lib/kriora");
    expect(dockerfile).toContain("BUN_CONFIG_MAX_HTTP_REQUESTS=65336");
    const compose = readFileSync(join(deploy, "compose.yaml"), "utf8");
    const subnet = /subnet: ([\d./]+)/.exec(compose)?.[1];
    expect(subnet).toBeDefined();
    const toml = readFileSync(join(deploy, "kriora.docker.toml"), "utf8");
    const config = Bun.TOML.parse(toml) as { server: { trusted_proxies: string[]; host: string } };
    expect(config.server.trusted_proxies).toEqual([subnet!]);
    expect(config.server.host).toBe("0.0.0.0");
    expect(readFileSync(join(deploy, "Caddyfile"), "utf8")).toContain("reverse_proxy kriora:8080");
    writeFileSync(join(dir, "docker.toml"), toml);
    expect(loadConfig({ file: join(dir, "docker.toml"), env: {} }).server.trusted_proxies).toEqual([subnet!]);
  });
});
