import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config/load";
import { startServe } from "../helpers/process";

describe("relative paths resolve against the config file's folder, not the working directory", () => {
  test("defaults and relative settings land beside the config file; --data is made absolute", () => {
    const dir = mkdtempSync(join(tmpdir(), "kriora-paths-"));
    const etc = join(dir, "etc");
    mkdirSync(etc);
    writeFileSync(
      join(etc, "kriora.toml"),
      '[policy]\ntext_file = "policy.md"\n[security]\nmaster_key_file = "keys/master.key"\n',
    );
    const c = loadConfig({ file: join(etc, "kriora.toml"), cwd: join(dir, "elsewhere"), env: {} });
    expect(c.database.path).toBe(join(etc, "data/kriora.db"));
    expect(c.security.master_key_file).toBe(join(etc, "keys/master.key"));
    expect(c.policy.text_file).toBe(join(etc, "policy.md"));
    expect(c.server.tls_cert).toBe("");

    const relativeFile = loadConfig({ file: "etc/kriora.toml", cwd: dir, env: {} });
    expect(relativeFile.database.path).toBe(join(etc, "data/kriora.db"));
    const data = loadConfig({ dataDir: "state", cwd: dir, env: {} });
    expect(data.database.path).toBe(join(dir, "state/kriora.db"));
    rmSync(dir, { recursive: true, force: true });
  });

  test("serve started from another folder uses the files beside its config and logs their absolute paths", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kriora-paths-serve-"));
    const etc = join(dir, "etc");
    mkdirSync(etc);
    writeFileSync(join(etc, "kriora.toml"), "[server]\nport = 0\n");
    const served = await startServe(
      [process.execPath, join(import.meta.dir, "../../src/main.ts"), "serve", "--config", join(etc, "kriora.toml")],
      dir,
      { KRIORA_DATABASE_URL: "" }, // about the SQLite file's path, in PostgreSQL mode too
    );
    const listening = JSON.parse(
      served
        .stdout()
        .split("\n")
        .find((l) => l.includes('"listening"'))!,
    );
    expect(await served.stop()).toBe(0);
    expect(listening).toMatchObject({
      database: join(etc, "data/kriora.db"),
      master_key_file: join(etc, "data/master.key"),
    });
    rmSync(dir, { recursive: true, force: true });
  });
});
