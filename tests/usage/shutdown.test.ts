import { afterAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runKriora } from "../helpers/cli";
import { startFakeUpstream } from "../helpers/fakeUpstream";
import { providerToml } from "../helpers/gateway";
import { startServe } from "../helpers/process";

const dir = mkdtempSync(join(tmpdir(), "kriora-shutdown-"));
const fake = startFakeUpstream();
afterAll(async () => {
  await fake.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("§2 usage data: nothing lost on a clean stop", () => {
  test("SIGTERM right after a request flushes its usage row before the process exits", async () => {
    const config = join(dir, "kriora.toml");
    writeFileSync(config, providerToml({ id: "oa", kind: "openai", url: fake.url }));
    const data = join(dir, "data");
    expect((await runKriora(data, ["accounts", "create", "--email", "stop@example.com", "--config", config])).code).toBe(0);
    const issued = await runKriora(data, ["keys", "issue", "--account", "stop@example.com", "--json", "--config", config]);
    const { key } = JSON.parse(issued.out);

    const served = await startServe([process.execPath, join(import.meta.dir, "../../src/main.ts"), "serve", "--data", data, "--config", config], dir, {
      FAKE_OPENAI_KEY: "sk-provider",
    });
    const res = await fetch(`${served.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "fine", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(res.status).toBe(200);
    const requestId = res.headers.get("x-request-id");
    await res.text();
    expect(await served.stop()).toBe(0);

    const db = new Database(join(data, "kriora.db"));
    expect(db.query("SELECT count(*) AS n FROM usage_events WHERE id = ?").get(requestId)).toEqual({ n: 1 });
    db.close();
  });
});
