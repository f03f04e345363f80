import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { usageEvents } from "../../src/db/schema";
import { startServer, type RunningServer } from "../../src/http/serve";
import { makeTestEnv, type TestEnv } from "../helpers/deps";
import { startFakeUpstream, type FakeUpstream } from "../helpers/fakeUpstream";
import { FAKE_USAGE, TOOL_CALLS } from "../helpers/fakeWire";
import { providerToml } from "../helpers/gateway";
import { makeAccount, makeKey } from "../helpers/identity";

/**
 * Failover across provider kinds, end to end with the official SDKs over real sockets: a model's
 * first deployment (chosen by weight; the random is pinned so it is always the failing one)
 * speaks one wire format and fails before its first byte; the next speaks another, and the
 * client gets its answer translated, as if nothing had happened. Its circuit then opens and the
 * failing deployment is no longer tried.
 */
let env: TestEnv;
let fake: FakeUpstream;
let server: RunningServer;
let openai: OpenAI;
let anthropic: Anthropic;

const models =
  `[[models]]\nid = "gpt-then-claude"\ndeployments = [{ provider = "oa", upstream = "fail-500" }, { provider = "an", upstream = "tools" }]\n` +
  `[[models]]\nid = "claude-then-gpt"\ndeployments = [{ provider = "an", upstream = "fail-429" }, { provider = "oa", upstream = "fine" }]\n`;

beforeAll(async () => {
  fake = startFakeUpstream();
  const providers = providerToml({ id: "oa", kind: "openai", url: fake.url }) + providerToml({ id: "an", kind: "anthropic", url: fake.url });
  env = makeTestEnv(`[server]\nport = 0\n[limits]\nrpm = 0\ntpm = 0\nconcurrency = 0\n[routing]\ncooldown_failures = 2\ncooldown_s = 60\n${providers}${models}`);
  env.deps.retryTiming = { random: () => 0, sleep: async () => {} };
  const account = makeAccount(env.deps, "failover@example.com");
  const { key } = await makeKey(env.deps, account.id);
  server = startServer(env.deps);
  openai = new OpenAI({ apiKey: key, baseURL: `${server.url}/v1`, maxRetries: 0 });
  anthropic = new Anthropic({ apiKey: key, baseURL: server.url, maxRetries: 0 });
});
afterAll(async () => {
  await server.stop();
  await fake.stop();
  env.close();
});
beforeEach(() => {
  fake.requests.length = 0;
  env.deps.metering.usage.flush();
  env.deps.db.delete(usageEvents).run();
});

/** The one usage row of the request just made, once its stream ended and the writer flushed. */
async function row() {
  for (let i = 0; i < 200; i++) {
    env.deps.metering.usage.flush();
    const rows = env.deps.db.select().from(usageEvents).all();
    if (rows.length > 0) {
      expect(rows).toHaveLength(1);
      return rows[0]!;
    }
    await Bun.sleep(10);
  }
  throw new Error("no usage row was written");
}

const tools = TOOL_CALLS.map((c) => ({ type: "function" as const, function: { name: c.name, parameters: { type: "object", properties: {} } } }));
const messages = [{ role: "user" as const, content: "Weather and time in Paris?" }];

describe("failover across provider kinds", () => {
  test("openai SDK: the OpenAI-kind deployment fails (500), the Anthropic-kind one answers; streamed tool calls arrive whole", async () => {
    const completion = await openai.chat.completions.stream({ model: "gpt-then-claude", messages, tools, stream_options: { include_usage: true } }).finalChatCompletion();
    const calls = completion.choices[0]!.message.tool_calls!.map((c) => {
      const { name, arguments: args } = (c as { function: { name: string; arguments: string } }).function;
      return { id: c.id, name, arguments: args };
    });
    expect(calls).toEqual(TOOL_CALLS.map(({ id, name, arguments: args }) => ({ id, name, arguments: args })));
    expect(fake.requests.map((r) => [r.path, r.model])).toEqual([
      ["/v1/chat/completions", "fail-500"],
      ["/v1/messages", "tools"],
    ]);
    expect(await row()).toMatchObject({ model: "gpt-then-claude", provider: "an", endpoint: "chat.completions", outcome: "ok", estimated: false, outputTokens: FAKE_USAGE.messages.output_tokens });
  });

  test("after cooldown_failures failures the OpenAI-kind deployment is skipped: the next request goes straight to Anthropic", async () => {
    await openai.chat.completions.create({ model: "gpt-then-claude", messages });
    fake.requests.length = 0;
    const answer = await openai.chat.completions.create({ model: "gpt-then-claude", messages, tools });
    expect(answer.choices[0]!.finish_reason).toBe("tool_calls");
    expect(fake.requests.map((r) => r.model)).toEqual(["tools"]);
  });

  test("Anthropic SDK: the Anthropic-kind deployment is rate limited (429), the OpenAI-kind one answers in Anthropic's format", async () => {
    const message = await anthropic.messages.create({ model: "claude-then-gpt", max_tokens: 64, messages });
    expect(message.content.map((block) => (block.type === "text" ? block.text : block.type))).toEqual([fake.reply]);
    expect(fake.requests.map((r) => [r.path, r.model])).toEqual([
      ["/v1/messages", "fail-429"],
      ["/v1/chat/completions", "fine"],
    ]);
    expect(await row()).toMatchObject({ model: "claude-then-gpt", provider: "oa", endpoint: "messages", outcome: "ok", inputTokens: FAKE_USAGE.chat.prompt_tokens });
  });
});
