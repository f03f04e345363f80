import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { usageEvents } from "../../../src/db/schema";
import type { RunningServer } from "../../../src/http/serve";
import type { TestEnv } from "../../helpers/deps";
import { abortedAt, FAKE_COUNT_TOKENS, type FakeUpstream } from "../../helpers/fakeUpstream";
import { FAKE_USAGE, GEMINI_USAGE, TOOL_CALLS } from "../../helpers/fakeWire";
import { PROVIDER_KEYS, providerToml } from "../../helpers/gateway";
import { openRawStream } from "../../helpers/rawClient";
import { startSdkGateway, type SdkGateway } from "../../helpers/sdkGateway";
import { all } from "../../../src/db/tx";

/**
 * Any client, any model, end to end: the official SDKs over real sockets, the real key verifier
 * and usage writer, a fake provider of each wire format on loopback. Every streamed tool call's
 * arguments must reassemble to exactly what the provider sent, and the usage row must carry the
 * provider's own counts.
 */
let env: TestEnv;
let fake: FakeUpstream;
let server: RunningServer;
let openai: OpenAI;
let anthropic: Anthropic;
let key: string;
let gw: SdkGateway;

const models = [
  ["claude-tools", "an", "tools"],
  ["claude-text", "an", "fine"],
  ["gemini-tools", "gm", "tools"],
  ["gemini-text", "gm", "fine"],
  ["gpt-tools", "oa", "tools"],
  ["gpt-text", "oa", "fine"],
  ["local-tools", "chatonly", "tools"],
  ["claude-endless", "an", "endless"],
]
  .map(
    ([id, provider, upstream]) =>
      `[[models]]\nid = "${id}"\nprovider = "${provider}"\nupstream = "${upstream}"\nmax_tokens_default = 777\n`,
  )
  .join("")
  .concat(
    `[[models]]\nid = "failing-over"\nprovider = "oa"\nupstream = "fail-500"\nfallbacks = [{ provider = "an", upstream = "fine" }]\n`,
  )
  .concat(
    `[[models]]\nid = "claude-priced"\nprovider = "an"\nupstream = "fine"\ninput_usd_per_mtok = 1000\ncached_input_usd_per_mtok = 500\noutput_usd_per_mtok = 2000\n`,
  );

beforeAll(async () => {
  const providers = (url: string) =>
    [
      providerToml({ id: "oa", kind: "openai", url }),
      providerToml({ id: "an", kind: "anthropic", url }),
      providerToml({ id: "gm", kind: "gemini", url }),
      providerToml({ id: "chatonly", kind: "openai", url, extra: ["native_responses = false"] }),
    ].join("");
  gw = await startSdkGateway((url) => providers(url) + models, { email: "translate@example.com" });
  ({ env, fake, server, openai, anthropic, key } = gw);
});
afterAll(() => gw.close());
beforeEach(() => gw.reset());

const tools = [
  {
    type: "function" as const,
    function: {
      name: "get_weather",
      description: "Weather",
      parameters: { type: "object", properties: { city: { type: "string" } } },
    },
  },
  {
    type: "function" as const,
    function: { name: "get_time", parameters: { type: "object", properties: { tz: { type: "string" } } } },
  },
];
const anthropicTools = tools.map((t) => ({
  name: t.function.name,
  input_schema: t.function.parameters as Anthropic.Tool["input_schema"],
}));
const messages = [{ role: "user" as const, content: "Weather and time in Paris?" }];
const sent = TOOL_CALLS.map((c) => ({ id: c.id, name: c.name, arguments: c.arguments }));

const row = () => gw.row();

const chatCounts = {
  inputTokens: FAKE_USAGE.chat.prompt_tokens,
  outputTokens: FAKE_USAGE.chat.completion_tokens,
  cachedInputTokens: FAKE_USAGE.chat.prompt_tokens_details.cached_tokens,
  estimated: false,
};
const anthropicCounts = {
  inputTokens:
    FAKE_USAGE.messages.input_tokens +
    FAKE_USAGE.messages.cache_read_input_tokens +
    FAKE_USAGE.messages.cache_creation_input_tokens,
  outputTokens: FAKE_USAGE.messages.output_tokens,
  cachedInputTokens: FAKE_USAGE.messages.cache_read_input_tokens,
  estimated: false,
};
const geminiCounts = {
  inputTokens: GEMINI_USAGE.promptTokenCount,
  outputTokens: GEMINI_USAGE.candidatesTokenCount + GEMINI_USAGE.thoughtsTokenCount,
  cachedInputTokens: GEMINI_USAGE.cachedContentTokenCount,
  estimated: false,
};

/** Streams a chat completion with the openai SDK, which assembles tool calls from their argument deltas. */
const openaiToolStream = (model: string) =>
  openai.chat.completions
    .stream({ model, messages, tools, stream_options: { include_usage: true } })
    .finalChatCompletion();

describe("openai SDK → Anthropic-kind model", () => {
  test("streamed parallel tool calls: arguments reassembled exactly, finish reason tool_calls, usage chunk and row from Anthropic's counts", async () => {
    const completion = await openaiToolStream("claude-tools");
    const choice = completion.choices[0]!;
    expect(choice.finish_reason).toBe("tool_calls");
    expect(
      choice.message.tool_calls!.map((c) => ({
        id: c.id,
        name: (c as { function: { name: string } }).function.name,
        arguments: (c as { function: { arguments: string } }).function.arguments,
      })),
    ).toEqual(sent);
    expect(completion.usage).toMatchObject({
      prompt_tokens: anthropicCounts.inputTokens,
      completion_tokens: anthropicCounts.outputTokens,
      prompt_tokens_details: { cached_tokens: anthropicCounts.cachedInputTokens },
    });
    const upstream = fake.requests[0]!;
    expect(upstream.path).toBe("/v1/messages");
    expect(upstream.body).toMatchObject({
      model: "tools",
      max_tokens: 777,
      stream: true,
      tools: anthropicTools.map((t) => expect.objectContaining(t)),
    });
    expect(upstream.headers.get("x-api-key")).toBe(PROVIDER_KEYS.anthropic);
    expect(await row()).toMatchObject({
      model: "claude-tools",
      provider: "an",
      endpoint: "chat.completions",
      stream: true,
      status: 200,
      outcome: "ok",
      ...anthropicCounts,
    });
  });

  test("JSON answer: text and usage in OpenAI's shape, the client's model name, translation headers naming the documented drops", async () => {
    const res = await openai.chat.completions
      .create({ model: "claude-text", messages, store: true, seed: 1 })
      .withResponse();
    expect(res.data.choices[0]!.message.content).toBe(fake.reply);
    expect(res.data.model).toBe("claude-text");
    expect(res.response.headers.get("x-kriora-translated-to")).toBe("anthropic");
    expect(res.response.headers.get("x-kriora-translation-dropped")).toBe("store, seed");
    expect(fake.requests[0]!.body).not.toContainAnyKeys(["store", "seed"]);
    expect(await row()).toMatchObject({ endpoint: "chat.completions", stream: false, ...anthropicCounts });
  });

  test("a client that leaves a translated stream aborts the upstream request; the row is marked estimated, as for any stream", async () => {
    const body = JSON.stringify({ model: "claude-endless", stream: true, messages });
    const raw = openRawStream(server.url, "/v1/chat/completions", { authorization: `Bearer ${key}` }, body);
    await raw.until((text) => text.includes('"content":"Hello'));
    raw.close();
    expect(await abortedAt(fake.requests[0]!)).not.toBeNull();
    expect(await row()).toMatchObject({
      model: "claude-endless",
      endpoint: "chat.completions",
      stream: true,
      outcome: "client_abort",
      estimated: true,
    });
  });

  test("a field that cannot be translated is a 400 naming it, in OpenAI's error shape, and nothing is sent", async () => {
    const error = await openai.chat.completions
      .create({ model: "claude-text", messages, logit_bias: { "1": 5 } })
      .catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error.param).toBe("logit_bias");
    expect(fake.requests).toHaveLength(0);
  });
});

describe("failover across kinds", () => {
  test("an OpenAI target that fails before the first byte is followed by the Anthropic fallback, translated", async () => {
    const completion = await openai.chat.completions.create({ model: "failing-over", messages });
    expect(completion.choices[0]!.message.content).toBe(fake.reply);
    expect(fake.requests.map((r) => r.path)).toEqual(["/v1/chat/completions", "/v1/messages"]);
    expect(fake.requests[1]!.body).toMatchObject({
      model: "fine",
      max_tokens: 4096,
      messages: [{ role: "user", content: [{ type: "text", text: messages[0]!.content }] }],
    });
    expect(await row()).toMatchObject({
      model: "failing-over",
      provider: "an",
      status: 200,
      outcome: "ok",
      ...anthropicCounts,
    });
  });
});

describe("the cost of a translated request", () => {
  // Anthropic's counts: 16 fresh input tokens at $1000/M, 4 cached at $500/M, 6 output at $2000/M = $0.03.
  test("JSON: x-kriora-cost-usd from the provider's counts, equal to the usage row's cost", async () => {
    const { response } = await openai.chat.completions.create({ model: "claude-priced", messages }).withResponse();
    expect(response.headers.get("x-kriora-cost-usd")).toBe("0.03");
    expect(await row()).toMatchObject({ costMicros: 30_000, ...anthropicCounts });
  });

  test("stream: `cost` in the client's final usage chunk", async () => {
    const stream = await openai.chat.completions.create({
      model: "claude-priced",
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    let usage: unknown;
    for await (const chunk of stream) if (chunk.usage) usage = chunk.usage;
    expect(usage).toMatchObject({ prompt_tokens: anthropicCounts.inputTokens, cost: 0.03 });
    expect(await row()).toMatchObject({ costMicros: 30_000, stream: true });
  });
});

describe("openai SDK → Gemini-kind model", () => {
  test("streamed tool calls from Gemini's whole function calls: arguments equal, usage from usageMetadata", async () => {
    const completion = await openaiToolStream("gemini-tools");
    const calls = completion.choices[0]!.message.tool_calls!.map((c) => {
      const fn = (c as { function: { name: string; arguments: string } }).function;
      return { id: c.id, name: fn.name, arguments: JSON.parse(fn.arguments) };
    });
    expect(calls).toEqual(sent.map((c) => ({ ...c, arguments: JSON.parse(c.arguments) })));
    expect(completion.choices[0]!.message.content).toBe("Checking.");
    expect(completion.choices[0]!.finish_reason).toBe("tool_calls");
    const upstream = fake.requests[0]!;
    expect(upstream.path).toBe("/v1/models/tools:streamGenerateContent");
    expect(upstream.headers.get("x-goog-api-key")).toBe(PROVIDER_KEYS.gemini);
    expect(upstream.body.tools[0].functionDeclarations.map((d: { name: string }) => d.name)).toEqual([
      "get_weather",
      "get_time",
    ]);
    expect(await row()).toMatchObject({
      model: "gemini-tools",
      provider: "gm",
      endpoint: "chat.completions",
      stream: true,
      outcome: "ok",
      ...geminiCounts,
    });
  });

  test("the API key travels in a header, never in the URL", async () => {
    await openai.chat.completions.create({ model: "gemini-text", messages });
    const upstream = fake.requests[0]!;
    expect(upstream.path).toBe("/v1/models/fine:generateContent");
    expect(upstream.headers.get("x-goog-api-key")).toBe(PROVIDER_KEYS.gemini);
    expect(await row()).toMatchObject({ endpoint: "chat.completions", stream: false, ...geminiCounts });
  });

  test("an image by URL is refused clearly for Gemini (it takes inline data only)", async () => {
    const content = [{ type: "image_url" as const, image_url: { url: "https://example.com/cat.png" } }];
    const error = await openai.chat.completions
      .create({ model: "gemini-text", messages: [{ role: "user", content }] })
      .catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error.param).toBe("messages[0].content[0].image_url.url");
    expect(fake.requests).toHaveLength(0);
  });
});

describe("@anthropic-ai/sdk → OpenAI-kind model", () => {
  test("streamed parallel tool calls: tool_use inputs reassembled from the argument deltas exactly, usage from OpenAI's counts", async () => {
    const stream = anthropic.messages.stream({ model: "gpt-tools", max_tokens: 100, messages, tools: anthropicTools });
    const jsonPieces = new Map<number, string>();
    stream.on("streamEvent", (event) => {
      if (event.type === "content_block_delta" && event.delta.type === "input_json_delta")
        jsonPieces.set(event.index, (jsonPieces.get(event.index) ?? "") + event.delta.partial_json);
    });
    const final = await stream.finalMessage();
    expect(final.stop_reason).toBe("tool_use");
    expect([...jsonPieces.values()]).toEqual(sent.map((c) => c.arguments));
    expect(final.content.map((b) => (b.type === "tool_use" ? { id: b.id, name: b.name, input: b.input } : b))).toEqual(
      sent.map((c) => ({ id: c.id, name: c.name, input: JSON.parse(c.arguments) })),
    );
    expect(final.usage).toMatchObject({
      input_tokens: chatCounts.inputTokens - chatCounts.cachedInputTokens,
      cache_read_input_tokens: chatCounts.cachedInputTokens,
      output_tokens: chatCounts.outputTokens,
    });
    const upstream = fake.requests[0]!;
    expect(upstream.path).toBe("/v1/chat/completions");
    expect(upstream.body).toMatchObject({
      model: "tools",
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 100,
    });
    expect(upstream.headers.get("authorization")).toBe(`Bearer ${PROVIDER_KEYS.openai}`);
    expect(await row()).toMatchObject({
      model: "gpt-tools",
      provider: "oa",
      endpoint: "messages",
      stream: true,
      outcome: "ok",
      ...chatCounts,
    });
  });

  test("JSON answer in Anthropic's shape", async () => {
    const message = await anthropic.messages.create({
      model: "gpt-text",
      max_tokens: 50,
      system: "Be brief.",
      messages,
    });
    expect(message.content.map((b) => (b.type === "text" ? b.text : b.type))).toEqual([fake.reply]);
    expect(message.stop_reason).toBe("end_turn");
    expect(fake.requests[0]!.body.messages[0]).toEqual({ role: "system", content: "Be brief." });
    expect(await row()).toMatchObject({ endpoint: "messages", stream: false, ...chatCounts });
  });

  test("an untranslatable field is a 400 in Anthropic's error shape, naming the field", async () => {
    // top_k is Anthropic's own sampling field; OpenAI's format has nothing like it.
    const params = { model: "gpt-text", max_tokens: 5, messages, top_k: 3 };
    const error = await anthropic.messages.create(params as Anthropic.MessageCreateParamsNonStreaming).catch((e) => e);
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    expect(error.error).toMatchObject({
      type: "error",
      error: { type: "invalid_request_error", message: expect.stringContaining("top_k") },
    });
  });
});

describe("@anthropic-ai/sdk → Gemini-kind model (through the chat pivot)", () => {
  test("streamed tool calls arrive as tool_use blocks with Gemini's arguments, usage from usageMetadata", async () => {
    const final = await anthropic.messages
      .stream({ model: "gemini-tools", max_tokens: 100, messages, tools: anthropicTools })
      .finalMessage();
    expect(final.content[0]).toMatchObject({ type: "text", text: "Checking." });
    expect(
      final.content.slice(1).map((b) => (b.type === "tool_use" ? { id: b.id, name: b.name, input: b.input } : b)),
    ).toEqual(sent.map((c) => ({ id: c.id, name: c.name, input: JSON.parse(c.arguments) })));
    expect(await row()).toMatchObject({
      model: "gemini-tools",
      provider: "gm",
      endpoint: "messages",
      stream: true,
      ...geminiCounts,
    });
  });
});

describe("POST /v1/messages/count_tokens", () => {
  test("an Anthropic model: forwarded to the provider (upstream model name, provider's key) and its count relayed; nothing metered", async () => {
    const { data, response } = await anthropic.messages
      .countTokens({ model: "claude-text", messages, tools: anthropicTools })
      .withResponse();
    expect(data).toEqual({ input_tokens: FAKE_COUNT_TOKENS });
    expect(response.headers.get("x-kriora-estimate")).toBeNull();
    const upstream = fake.requests[0]!;
    expect(upstream.path).toBe("/v1/messages/count_tokens");
    expect(upstream.body).toMatchObject({ model: "fine", messages, tools: anthropicTools });
    expect(upstream.headers.get("x-api-key")).toBe(PROVIDER_KEYS.anthropic);
    await env.deps.usageWriter.flush();
    expect(await all(env.deps.db.select().from(usageEvents))).toEqual([]);
  });

  test("any other model: the gateway's estimate, marked as one, and no provider is called", async () => {
    const { data, response } = await anthropic.messages
      .countTokens({ model: "gemini-text", system: "Be brief.", messages })
      .withResponse();
    const chars = JSON.stringify({ system: "Be brief.", messages }).length;
    expect(data).toEqual({ input_tokens: Math.ceil(chars / 4), estimated: true } as typeof data);
    expect(response.headers.get("x-kriora-estimate")).toBe("true");
    expect(fake.requests).toHaveLength(0);
  });
});

describe("openai SDK Responses API → chat models", () => {
  const tools = [
    {
      type: "function" as const,
      name: "get_weather",
      parameters: { type: "object", properties: { city: { type: "string" } } },
      strict: false,
    },
    {
      type: "function" as const,
      name: "get_time",
      parameters: { type: "object", properties: { tz: { type: "string" } } },
      strict: false,
    },
  ];
  const callsOf = (output: OpenAI.Responses.ResponseOutputItem[]) =>
    output
      .filter((item) => item.type === "function_call")
      .map((item) => ({ id: item.call_id, name: item.name, arguments: item.arguments }));

  test("streamed, to an Anthropic model: function_call items whose arguments equal what the provider sent, usage on response.completed", async () => {
    const stream = openai.responses.stream({ model: "claude-tools", input: "Weather and time in Paris?", tools });
    const deltas: string[] = [];
    stream.on("response.function_call_arguments.delta", (event) => deltas.push(event.delta));
    const response = await stream.finalResponse();
    expect(callsOf(response.output)).toEqual(sent);
    expect(deltas.join("")).toBe(sent.map((c) => c.arguments).join(""));
    expect(response.usage).toMatchObject({
      input_tokens: anthropicCounts.inputTokens,
      output_tokens: anthropicCounts.outputTokens,
      input_tokens_details: { cached_tokens: anthropicCounts.cachedInputTokens },
    });
    expect(fake.requests[0]!.path).toBe("/v1/messages");
    expect(await row()).toMatchObject({
      model: "claude-tools",
      endpoint: "responses",
      stream: true,
      outcome: "ok",
      ...anthropicCounts,
    });
  });

  test("to an OpenAI-format server without /responses (native_responses = false): translated to chat completions", async () => {
    const response = await openai.responses.create({
      model: "local-tools",
      input: "Weather and time in Paris?",
      tools,
    });
    expect(callsOf(response.output)).toEqual(sent);
    expect(fake.requests[0]!.path).toBe("/v1/chat/completions");
    expect(await row()).toMatchObject({
      model: "local-tools",
      provider: "chatonly",
      endpoint: "responses",
      stream: false,
      ...chatCounts,
    });
  });

  test("outside the common subset: a clear 400 naming the field", async () => {
    const error = await openai.responses
      .create({ model: "claude-text", input: "x", previous_response_id: "resp_1" })
      .catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error.param).toBe("previous_response_id");
    expect(fake.requests).toHaveLength(0);
  });
});
