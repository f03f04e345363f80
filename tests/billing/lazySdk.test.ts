import { describe, expect, test } from "bun:test";
import { join } from "node:path";

const src = (file: string) => JSON.stringify(join(import.meta.dir, "../../src", file));

/** A gateway in a fresh process serves a request; prints the Stripe SDK modules it has loaded. */
const script = (toml: string) => `
  import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
  import { tmpdir } from "node:os";
  import { join } from "node:path";
  import { loadConfig } from ${src("config/load.ts")};
  import { openDeps } from ${src("deps.ts")};
  import { createApp } from ${src("http/app.ts")};
  import { silentLogger } from ${src("lib/log.ts")};
  const dir = mkdtempSync(join(tmpdir(), "kriora-lazy-"));
  writeFileSync(join(dir, "kriora.toml"), ${JSON.stringify(toml)});
  const config = loadConfig({ file: join(dir, "kriora.toml"), dataDir: join(dir, "data"), env: {} });
  const deps = await openDeps(config, {
    log: silentLogger,
    env: { STRIPE_SECRET_KEY: "sk_test_lazy", STRIPE_WEBHOOK_SECRET: "whsec_lazy" },
    stripe: { host: "127.0.0.1", port: 9, protocol: "http" },
  });
  await createApp(deps).handle(new Request("http://localhost/healthz"));
  deps.handle.close();
  rmSync(dir, { recursive: true, force: true });
  console.log(JSON.stringify(Object.keys(require.cache).filter((k) => k.includes("/node_modules/stripe/"))));`;

const loaded = (toml: string): string[] => {
  const run = Bun.spawnSync([process.execPath, "-e", script(toml)], {
    cwd: join(import.meta.dir, "../.."),
    stdout: "pipe",
    stderr: "pipe",
  });
  return JSON.parse(run.stdout.toString());
};

describe("idle memory (issue 15): the Stripe SDK is loaded only when billing is on", () => {
  test("billing off: a gateway that served a request has no Stripe module in memory; billing on (control): it has", () => {
    expect(loaded("")).toEqual([]);
    expect(loaded('[billing]\nmode = "metered"\n').length).toBeGreaterThan(0);
  }, 30_000);
});
