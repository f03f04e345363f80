import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { FAKE_USAGE } from "../helpers/fakeWire";
import { KEYS, PROVIDER_KEYS, startGateway, type Gateway } from "../helpers/gateway";

let gw: Gateway;
let openai: OpenAI;
let anthropic: Anthropic;

beforeAll(async () => {
  gw = await startGateway();
  openai = new OpenAI({ apiKey: KEYS.user, baseURL: `${gw.url}/v1`, maxRetries: 0 });
  anthropic = new Anthropic({ apiKey: KEYS.user, baseURL: gw.url, maxRetries: 0 });
});
afterAll(() => gw.close());
beforeEach(() => {
  gw.usage.events.length = 0;
  gw.fake.requests.length = 0;
});

const messages = [{ role: "user" as const, content: "Say hello" }];
const chatCounts = { inputTokens: 11, outputTokens: 7, cachedInputTokens: 3, estimated: false };

/** The one usage event of the request just made. */
async function recorded() {
  const [event] = await gw.events(1);
  expect(gw.usage.events).toHaveLength(1);
  return event!;
}

describe("the official openai SDK works unchanged against the gateway", () => {
  test("chat completion: answer relayed, usage recorded from the JSON body", async () => {
    const completion = await openai.chat.completions.create({ model: "fake-model", messages });
    expect(completion.choices[0]!.message.content).toBe(gw.fake.reply);
    expect(await recorded()).toMatchObject({
      endpoint: "chat.completions",
      stream: false,
      provider: "oa",
      status: 200,
      outcome: "ok",
      model: "fake-model",
      clientIp: "127.0.0.1",
      ...chatCounts,
    });
  });

  test("streaming chat without include_usage: usage is requested upstream, recorded, and the usage-only chunk never reaches the client", async () => {
    const stream = await openai.chat.completions.create({ model: "fake-model", messages, stream: true });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? "").join("")).toBe(gw.fake.reply);
    expect(chunks.every((c) => c.choices.length > 0 && !c.usage)).toBe(true);
    expect(gw.fake.requests[0]!.body.stream_options).toEqual({ include_usage: true });
    expect(await recorded()).toMatchObject({
      endpoint: "chat.completions",
      stream: true,
      outcome: "ok",
      ...chatCounts,
    });
  });

  test("streaming chat with include_usage: the client gets the usage chunk too", async () => {
    const stream = await openai.chat.completions.create({
      model: "fake-model",
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject(FAKE_USAGE.chat);
    expect(await recorded()).toMatchObject({ stream: true, ...chatCounts });
  });

  test("legacy completions, streamed: text relayed and usage recorded", async () => {
    const stream = await openai.completions.create({ model: "fake-model", prompt: "Say hello", stream: true });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.text ?? "";
    expect(text).toBe(gw.fake.reply);
    expect(await recorded()).toMatchObject({ endpoint: "completions", stream: true, ...chatCounts });
  });

  test("embeddings: vectors relayed, prompt tokens recorded", async () => {
    const result = await openai.embeddings.create({ model: "fake-embed", input: "hello" });
    expect(result.data[0]!.embedding).toHaveLength(3);
    expect(await recorded()).toMatchObject({
      endpoint: "embeddings",
      stream: false,
      inputTokens: 5,
      outputTokens: 0,
      cachedInputTokens: 0,
      estimated: false,
    });
  });

  test("responses API: answer relayed, usage recorded", async () => {
    const response = await openai.responses.create({ model: "fake-model", input: "Say hello" });
    expect(response.output_text).toBe(gw.fake.reply);
    expect(await recorded()).toMatchObject({
      endpoint: "responses",
      stream: false,
      inputTokens: 13,
      outputTokens: 9,
      cachedInputTokens: 2,
      estimated: false,
    });
  });

  test("responses API streamed: events relayed, usage read from response.completed", async () => {
    const stream = await openai.responses.create({ model: "fake-model", input: "Say hello", stream: true });
    const types: string[] = [];
    let text = "";
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === "response.output_text.delta") text += event.delta;
    }
    expect(text).toBe(gw.fake.reply);
    expect(types.at(-1)).toBe("response.completed");
    expect(await recorded()).toMatchObject({
      endpoint: "responses",
      stream: true,
      inputTokens: 13,
      outputTokens: 9,
      cachedInputTokens: 2,
      estimated: false,
    });
  });

  test("GET /v1/models answers the SDK's list call (no [[models]]: each provider's own list)", async () => {
    const page = await openai.models.list();
    expect(page.data.map((m) => [m.id, (m as unknown as { formats: string[] }).formats])).toEqual([
      ["fake-chat", ["openai", "anthropic"]],
      ["fake-embed", ["openai"]],
      ["fake-chat", ["openai", "anthropic"]],
    ]);
  });
});

describe("the official @anthropic-ai/sdk works unchanged against the gateway", () => {
  const anthropicCounts = { inputTokens: 15 + 4 + 1, outputTokens: 6, cachedInputTokens: 4, estimated: false };

  test("messages: answer relayed, usage recorded (input = uncached + cache reads + cache writes)", async () => {
    const message = await anthropic.messages.create({ model: "fake-claude", max_tokens: 64, messages });
    expect(message.content[0]).toMatchObject({ type: "text", text: gw.fake.reply });
    expect(await recorded()).toMatchObject({ endpoint: "messages", stream: false, provider: "an", ...anthropicCounts });
  });

  test("streaming messages: usage from message_start and message_delta", async () => {
    const stream = anthropic.messages.stream({ model: "fake-claude", max_tokens: 64, messages });
    const final = await stream.finalMessage();
    expect(final.content[0]).toMatchObject({ type: "text", text: gw.fake.reply });
    expect(await recorded()).toMatchObject({ endpoint: "messages", stream: true, outcome: "ok", ...anthropicCounts });
  });

  test("the provider gets its own key and the client's API version, never the client's key", async () => {
    await anthropic.messages.create({ model: "fake-claude", max_tokens: 64, messages });
    const headers = gw.fake.requests[0]!.headers;
    expect(headers.get("x-api-key")).toBe(process.env.FAKE_ANTHROPIC_KEY!);
    expect(headers.get("anthropic-version")).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect([...headers.values()].join("\n")).not.toContain(KEYS.user);
  });
});

describe("§9 the client's credentials never reach the provider", () => {
  test("Authorization, x-api-key and cookies from the client are replaced by the provider's own key", async () => {
    const clientHeaders = {
      authorization: `Bearer ${KEYS.user}`,
      "x-api-key": KEYS.user,
      cookie: `kriora_session=${KEYS.user}`,
      "openai-organization": "org-client",
    };
    for (const path of ["/v1/chat/completions", "/v1/messages"]) {
      const res = await fetch(`${gw.url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...clientHeaders },
        body: JSON.stringify({ model: "fake-model", max_tokens: 8, messages }),
      });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
    const [openaiSide, anthropicSide] = gw.fake.requests.map((r) => r.headers);
    expect(openaiSide!.get("authorization")).toBe(`Bearer ${PROVIDER_KEYS.openai}`);
    expect(openaiSide!.get("x-api-key")).toBeNull();
    expect(anthropicSide!.get("x-api-key")).toBe(PROVIDER_KEYS.anthropic);
    expect(anthropicSide!.get("authorization")).toBeNull();
    for (const headers of [openaiSide!, anthropicSide!]) {
      expect(headers.get("cookie")).toBeNull();
      expect(headers.get("openai-organization")).toBeNull();
      expect([...headers.values()].join("\n")).not.toContain(KEYS.user);
    }
  });
});
