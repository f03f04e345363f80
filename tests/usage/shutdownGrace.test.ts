import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { runKriora } from "../helpers/cli";
import { providerToml } from "../helpers/gateway";
import { serveWorkspace, startServe } from "../helpers/process";
import { storedUsageRow } from "../helpers/usage";

const { dir, fake, config, data } = serveWorkspace("kriora-grace-");
const decoder = new TextDecoder();

/** `serve` with a one-second grace, an account and a key; `endless` streams never end by themselves. */
async function serve() {
  writeFileSync(
    config,
    `[server]\nshutdown_grace_s = 1\n${providerToml({ id: "oa", kind: "openai", url: fake.url })}${providerToml({ id: "an", kind: "anthropic", url: fake.url })}`,
  );
  expect((await runKriora(data, ["accounts", "create", "--email", "grace@example.com", "--config", config])).code).toBe(
    0,
  );
  const key = JSON.parse(
    (await runKriora(data, ["keys", "issue", "--account", "grace@example.com", "--json", "--config", config])).out,
  ).key;
  const served = await startServe(
    [process.execPath, join(import.meta.dir, "../../src/main.ts"), "serve", "--data", data, "--config", config],
    dir,
    {
      FAKE_OPENAI_KEY: "sk-provider",
      FAKE_ANTHROPIC_KEY: "sk-ant-provider",
    },
  );
  const post = (path: string, body: unknown) =>
    fetch(`${served.url}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  return { served, post };
}

async function readAll(res: Response): Promise<string> {
  let text = "";
  for await (const chunk of res.body!) text += decoder.decode(chunk, { stream: true });
  return text;
}

const usageRow = async (requestId: string | null) => {
  const row = await storedUsageRow(data, requestId);
  return row && { outcome: row.outcome, status: row.status, counted: row.outputTokens > 0 ? 1 : 0 };
};

describe("server.shutdown_grace_s: streams longer than the grace", () => {
  test("end with a final error event in their own format ([DONE] for chat), are metered as server_shutdown, and the process exits 0", async () => {
    const { served, post } = await serve();
    const messages = [{ role: "user", content: "hi" }];
    const chat = await post("/v1/chat/completions", { model: "endless", stream: true, messages });
    const anthropic = await post("/v1/messages", { model: "endless", stream: true, max_tokens: 10, messages });
    expect([chat.status, anthropic.status]).toEqual([200, 200]);
    const texts = Promise.all([readAll(chat), readAll(anthropic)]);
    await Bun.sleep(200);
    const started = performance.now();
    const exited = served.stop();
    const [chatText, anthropicText] = await texts;
    expect(performance.now() - started).toBeGreaterThanOrEqual(900);

    expect(chatText).toContain("chat.completion.chunk");
    const chatTail = chatText.trimEnd().split("\n\n").slice(-2);
    expect(JSON.parse(chatTail[0]!.replace(/^data: /, "")).error).toMatchObject({
      code: "unavailable",
      message: expect.stringContaining("shutting down"),
    });
    expect(chatTail[1]).toBe("data: [DONE]");

    const lastEvent = anthropicText.trimEnd().split("\n\n").at(-1)!;
    expect(lastEvent.split("\n")[0]).toBe("event: error");
    expect(JSON.parse(lastEvent.split("\n")[1]!.replace(/^data: /, ""))).toMatchObject({
      type: "error",
      error: { type: "overloaded_error" },
    });

    expect(await exited).toBe(0);
    for (const res of [chat, anthropic])
      expect(await usageRow(res.headers.get("x-request-id"))).toEqual({
        outcome: "server_shutdown",
        status: 200,
        counted: 1,
      });
  }, 30_000);
});
