import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, loadConfig } from "../../src/config/load";

const dir = mkdtempSync(join(tmpdir(), "kriora-config-"));
function withFile(toml: string, env: Record<string, string> = {}) {
  const file = join(dir, `k${Math.random().toString(36).slice(2)}.toml`);
  writeFileSync(file, toml);
  return () => loadConfig({ file, env });
}

describe("config", () => {
  test("an empty file gives the safe defaults of SPEC", () => {
    const c = withFile("")();
    expect(c.server.host).toBe("127.0.0.1");
    expect(c.server.port).toBe(8080);
    expect(c.server.trust_proxy).toBe(false);
    expect(c.database.path).toBe(join(dir, "data/kriora.db"));
    expect(c.retention.ip_days).toBe(30);
    expect(c.billing.mode).toBe("off");
    expect(Object.isFrozen(c.server)).toBe(true);
  });

  test.each([
    ['[server]\nport = "eighty"', "server.port"],
    ["[server]\nprot = 80", "server.prot: unknown key"],
    ['[billing]\nmode = "free"', "billing.mode"],
    ["[retention]\nip_days = -1", "retention.ip_days"],
    ['[[providers]]\nid = "p"\nkind = "openai"\nbase_url = "http://x"\nzdr = "yes"', "providers[0].zdr"],
    ['[[providers]]\nid = "p"\nkind = "grpc"\nbase_url = "http://x"', "providers[0].kind"],
    ['[[models]]\nid = "m"\nprovider = "nowhere"', "models[0].provider"],
    ["[bogus]\nx = 1", "bogus: unknown key"],
  ])("a bad value stops start-up naming its key path: %p", (toml, path) => {
    const load = withFile(toml);
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(path);
  });

  test("an enum error says what is allowed", () => {
    expect(withFile('[billing]\nmode = "free"')).toThrow(/allowed: "off", "prepaid", "metered"/);
  });

  test("KRIORA_* env overrides the file, converted to the field's type", () => {
    const c = withFile("[server]\nport = 9000\n[limits]\nrpm = 5", {
      KRIORA_SERVER_PORT: "9100",
      KRIORA_SERVER_TRUST_PROXY: "true",
    })();
    expect(c.server.port).toBe(9100);
    expect(c.server.trust_proxy).toBe(true);
    expect(c.limits.rpm).toBe(5);
  });

  test("a bad env override names the key and the variable", () => {
    expect(withFile("", { KRIORA_SERVER_PORT: "abc" })).toThrow("server.port");
    expect(withFile("", { KRIORA_SERVER_PROT: "1" })).toThrow("server.prot (from KRIORA_SERVER_PROT): unknown key");
  });

  test("invalid TOML is a config error, not a crash", () => {
    expect(withFile("[server\nport=")).toThrow(ConfigError);
  });

  test("env-only mode: each well-known variable adds a provider", () => {
    const c = loadConfig({
      cwd: dir,
      env: {
        OPENAI_API_KEY: "sk-test",
        ANTHROPIC_API_KEY: "ant-test",
        KRIORA_UPSTREAM_URL: "http://127.0.0.1:11434/v1",
      },
    });
    expect(c.providers.map((p) => [p.id, p.kind])).toEqual([
      ["openai", "openai"],
      ["anthropic", "anthropic"],
      ["upstream", "openai"],
    ]);
    expect(c.providers[2]!.base_url).toBe("http://127.0.0.1:11434/v1");
  });

  test("--data puts the database and the master key in that folder", () => {
    const c = loadConfig({ cwd: dir, dataDir: "/srv/kriora", env: {} });
    expect(c.database.path).toBe("/srv/kriora/kriora.db");
    expect(c.security.master_key_file).toBe("/srv/kriora/master.key");
  });
});

describe("config: models, deployments and routing", () => {
  const p = (id: string, kind = "openai") => `[[providers]]\nid = "${id}"\nkind = "${kind}"\nbase_url = "http://x"\n`;
  test.each([
    [`${p("a")}[[models]]\nid = "m"`, "models[0].provider: set provider (one deployment) or deployments"],
    [
      `${p("a")}[[models]]\nid = "m"\nprovider = "a"\ndeployments = [{ provider = "a" }]`,
      "models[0].deployments: set provider or deployments, not both",
    ],
    [
      `${p("a")}[[models]]\nid = "m"\ndeployments = [{ provider = "a" }, { provider = "nowhere" }]`,
      "models[0].deployments[1].provider: no provider with this id",
    ],
    [
      `${p("a")}[[models]]\nid = "m"\ndeployments = [{ provider = "a", weight = 0 }]`,
      "models[0].deployments[0].weight",
    ],
    [
      `${p("a")}[[models]]\nid = "m"\ndeployments = [{ provider = "a", wieght = 2 }]`,
      "models[0].deployments[0].wieght: unknown key",
    ],
    [
      `${p("a")}[[models]]\nid = "m"\nprovider = "a"\n[[models]]\nid = "n"\nprovider = "a"\naliases = ["x", "m"]`,
      "models[1].aliases[1]: duplicate model id or alias",
    ],
    [`${p("a")}[[models]]\nid = "m"\nprovider = "a"\nkind = "image"`, "models[0].kind"],
    [`[routing]\nretries = 99`, "routing.retries"],
    [`[routing]\ncooldown_failures = 0`, "routing.cooldown_failures"],
  ])("a bad model or routing value names its key path: %p", (toml, path) => {
    const load = withFile(toml);
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(path);
  });

  test("today's provider/upstream form and the deployments form load side by side; azure-openai is a provider kind", () => {
    const c = withFile(
      `${p("a")}${p("az", "azure-openai")}[[models]]\nid = "one"\nprovider = "a"\nupstream = "u"\n[[models]]\nid = "two"\naliases = ["deux"]\ndeployments = [{ provider = "a", upstream = "x", weight = 2 }, { provider = "az", upstream = "y", api_key_env = "AZ2" }]`,
    )();
    expect(c.models[0]).toMatchObject({ provider: "a", upstream: "u", deployments: [] });
    expect(c.models[1]!.deployments).toEqual([
      { provider: "a", upstream: "x", weight: 2, api_key_env: "" },
      { provider: "az", upstream: "y", weight: 1, api_key_env: "AZ2" },
    ]);
    expect(c.providers[1]).toMatchObject({ kind: "azure-openai", api_version: "2024-10-21" });
    expect(c.routing).toMatchObject({ retries: 0, cooldown_failures: 5, cooldown_s: 30 });
  });
});
