import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { FAKE_USAGE, TOOL_CALLS } from "../helpers/fakeWire";
import { providerToml } from "../helpers/gateway";
import { startSdkGateway, type SdkGateway } from "../helpers/sdkGateway";

/**
 * Failover across provider kinds, end to end with the official SDKs over real sockets: a model's
 * first deployment (chosen by weight; the random is pinned so it is always the failing one)
 * speaks one wire format and fails before its first byte; the next speaks another, and the
 * client gets its answer translated, as if nothing had happened. Its circuit then opens and the
 * failing deployment is no longer tried.
 */
let gw: SdkGateway;

const models =
  `[[models]]\nid = "gpt-then-claude"\ndeployments = [{ provider = "oa", upstream = "fail-500" }, { provider = "an", upstream = "tools" }]\n` +
  `[[models]]\nid = "claude-then-gpt"\ndeployments = [{ provider = "an", upstream = "fail-429" }, { provider = "oa", upstream = "fine" }]\n`;

beforeAll(async () => {
  const providers = (url: string) =>
    providerToml({ id: "oa", kind: "openai", url }) + providerToml({ id: "an", kind: "anthropic", url });
  gw = await startSdkGateway((url) => `[routing]\ncooldown_failures = 2\ncooldown_s = 60\n${providers(url)}${models}`, {
    email: "failover@example.com",
    retryTiming: { random: () => 0, sleep: async () => {} },
  });
});
afterAll(() => gw.close());
beforeEach(() => gw.reset());

const tools = TOOL_CALLS.map((c) => ({
  type: "function" as const,
  function: { name: c.name, parameters: { type: "object", properties: {} } },
}));
const messages = [{ role: "user" as const, content: "Weather and time in Paris?" }];

describe("failover across provider kinds", () => {
  test("openai SDK: the OpenAI-kind deployment fails (500), the Anthropic-kind one answers; streamed tool calls arrive whole", async () => {
    const completion = await gw.openai.chat.completions
      .stream({ model: "gpt-then-claude", messages, tools, stream_options: { include_usage: true } })
      .finalChatCompletion();
    const calls = completion.choices[0]!.message.tool_calls!.map((c) => {
      const { name, arguments: args } = (c as { function: { name: string; arguments: string } }).function;
      return { id: c.id, name, arguments: args };
    });
    expect(calls).toEqual(TOOL_CALLS.map(({ id, name, arguments: args }) => ({ id, name, arguments: args })));
    expect(gw.fake.requests.map((r) => [r.path, r.model])).toEqual([
      ["/v1/chat/completions", "fail-500"],
      ["/v1/messages", "tools"],
    ]);
    expect(await gw.row()).toMatchObject({
      model: "gpt-then-claude",
      provider: "an",
      endpoint: "chat.completions",
      outcome: "ok",
      estimated: false,
      outputTokens: FAKE_USAGE.messages.output_tokens,
    });
  });

  test("after cooldown_failures failures the OpenAI-kind deployment is skipped: the next request goes straight to Anthropic", async () => {
    await gw.openai.chat.completions.create({ model: "gpt-then-claude", messages });
    gw.fake.requests.length = 0;
    const answer = await gw.openai.chat.completions.create({ model: "gpt-then-claude", messages, tools });
    expect(answer.choices[0]!.finish_reason).toBe("tool_calls");
    expect(gw.fake.requests.map((r) => r.model)).toEqual(["tools"]);
  });

  test("Anthropic SDK: the Anthropic-kind deployment is rate limited (429), the OpenAI-kind one answers in Anthropic's format", async () => {
    const message = await gw.anthropic.messages.create({ model: "claude-then-gpt", max_tokens: 64, messages });
    expect(message.content.map((block) => (block.type === "text" ? block.text : block.type))).toEqual([gw.fake.reply]);
    expect(gw.fake.requests.map((r) => [r.path, r.model])).toEqual([
      ["/v1/messages", "fail-429"],
      ["/v1/chat/completions", "fine"],
    ]);
    expect(await gw.row()).toMatchObject({
      model: "claude-then-gpt",
      provider: "oa",
      endpoint: "messages",
      outcome: "ok",
      inputTokens: FAKE_USAGE.chat.prompt_tokens,
    });
  });
});
