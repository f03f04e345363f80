import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { runKriora } from "../helpers/cli";
import { providerToml } from "../helpers/gateway";
import { serveWorkspace, startServe } from "../helpers/process";
import { storedUsageRow } from "../helpers/usage";

const { dir, fake, config, data } = serveWorkspace("kriora-shutdown-");
let key = "";

/** A fresh `kriora serve` on the shared data dir, with an account and key made by the CLI once. */
async function serve() {
  if (!key) {
    writeFileSync(config, providerToml({ id: "oa", kind: "openai", url: fake.url }));
    expect(
      (await runKriora(data, ["accounts", "create", "--email", "stop@example.com", "--config", config])).code,
    ).toBe(0);
    key = JSON.parse(
      (await runKriora(data, ["keys", "issue", "--account", "stop@example.com", "--json", "--config", config])).out,
    ).key;
  }
  const served = await startServe(
    [process.execPath, join(import.meta.dir, "../../src/main.ts"), "serve", "--data", data, "--config", config],
    dir,
    {
      FAKE_OPENAI_KEY: "sk-provider",
    },
  );
  const chat = (model: string, stream = false) =>
    fetch(`${served.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ model, stream, messages: [{ role: "user", content: "hi" }] }),
    });
  return { served, chat };
}

const usageRow = async (requestId: string | null) => {
  const row = await storedUsageRow(data, requestId);
  return row && { outcome: row.outcome, output_tokens: row.outputTokens };
};

describe("§2 usage data: nothing lost on a clean stop", () => {
  test("SIGTERM right after a request flushes its usage row before the process exits", async () => {
    const { served, chat } = await serve();
    const res = await chat("fine");
    expect(res.status).toBe(200);
    await res.text();
    expect(await served.stop()).toBe(0);
    expect(await usageRow(res.headers.get("x-request-id"))).toEqual({ outcome: "ok", output_tokens: 7 });
  });

  test("a stream in flight at SIGTERM runs to its end before the process exits", async () => {
    const { served, chat } = await serve();
    const res = await chat("paced", true);
    const reader = res.body!.getReader();
    await reader.read();
    const stopped = served.stop();
    let text = "";
    for (let r = await reader.read(); !r.done; r = await reader.read()) text += new TextDecoder().decode(r.value);
    expect(text).toContain("data: [DONE]");
    expect(await stopped).toBe(0);
    expect(await usageRow(res.headers.get("x-request-id"))).toEqual({ outcome: "ok", output_tokens: 7 });
  });
});
