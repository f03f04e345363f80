import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { startServer, type RunningServer } from "../../src/http/serve";
import { usageEvents } from "../../src/db/schema/usage";
import { makeTestEnv, type TestEnv } from "../helpers/deps";
import { startFakeUpstream, type FakeUpstream } from "../helpers/fakeUpstream";
import { KEYS, providerToml, tokenAuthenticator } from "../helpers/gateway";
import { all } from "../../src/db/tx";

let fake: FakeUpstream;
let env: TestEnv;
let server: RunningServer;

beforeAll(async () => {
  fake = startFakeUpstream();
  env = await makeTestEnv(
    "[server]\nport = 0\n[limits]\nrpm = 0\ntpm = 0\nconcurrency = 0\n" +
      providerToml({ id: "oa", kind: "openai", url: fake.url }) +
      providerToml({ id: "an", kind: "anthropic", url: fake.url }) +
      `[[models]]\nid = "priced"\naliases = ["priced-alias"]\nprovider = "oa"\nupstream = "fine"\ninput_usd_per_mtok = 2.5\noutput_usd_per_mtok = 10\ncached_input_usd_per_mtok = 1.25\n` +
      `[[models]]\nid = "claude-priced"\nprovider = "an"\nupstream = "fine"\ninput_usd_per_mtok = 3\noutput_usd_per_mtok = 15\n`,
  );
  env.deps.auth = tokenAuthenticator;
  server = startServer(env.deps);
});
afterAll(async () => {
  await server.stop();
  await fake.stop();
  env.close();
});

/** The cost the usage row of `requestId` recorded, in micro-dollars. */
async function recordedMicros(requestId: string): Promise<number> {
  await env.deps.usageWriter.flush();
  const rows = await all(env.deps.db.select().from(usageEvents));
  return rows.find((r) => r.id === requestId)!.costMicros;
}

// The fake's chat usage: 11 prompt tokens (3 cached), 7 completion tokens.
const CHAT_MICROS = 8 * 2.5 + 3 * 1.25 + 7 * 10; // 93.75 → 94 micro-dollars, rounded half up once
// The fake's messages usage: 15 + 4 cache reads + 1 cache write input, 6 output; no cached price: cached input costs as input.
const MESSAGES_MICROS = 20 * 3 + 6 * 15;

describe("the cost of each request in USD", () => {
  test("JSON: x-kriora-cost-usd equals the cost recorded on the usage row (an alias priced as its model)", async () => {
    const openai = new OpenAI({ apiKey: KEYS.user, baseURL: `${server.url}/v1` });
    for (const model of ["priced", "priced-alias"]) {
      const { response } = await openai.chat.completions
        .create({ model, messages: [{ role: "user", content: "hi" }] })
        .withResponse();
      expect(response.headers.get("x-kriora-cost-usd")).toBe("0.000094");
      expect(await recordedMicros(response.headers.get("x-request-id")!)).toBe(Math.round(CHAT_MICROS));
    }
  });

  test("OpenAI stream: the final usage chunk carries cost, equal to the recorded cost", async () => {
    const openai = new OpenAI({ apiKey: KEYS.user, baseURL: `${server.url}/v1` });
    const { data: stream, response } = await openai.chat.completions
      .create({
        model: "priced",
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: "user", content: "hi" }],
      })
      .withResponse();
    let usage: Record<string, unknown> | undefined;
    for await (const chunk of stream) if (chunk.usage) usage = chunk.usage as unknown as Record<string, unknown>;
    expect(usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 7, cost: 0.000094 });
    expect(await recordedMicros(response.headers.get("x-request-id")!)).toBe(94);
  });

  test("Anthropic: the header on JSON, and cost in the usage of the stream's message_delta", async () => {
    const anthropic = new Anthropic({ apiKey: KEYS.user, baseURL: server.url });
    const { response } = await anthropic.messages
      .create({ model: "claude-priced", max_tokens: 8, messages: [{ role: "user", content: "hi" }] })
      .withResponse();
    expect(response.headers.get("x-kriora-cost-usd")).toBe("0.00015");
    const stream = await anthropic.messages.create({
      model: "claude-priced",
      max_tokens: 8,
      stream: true,
      messages: [{ role: "user", content: "hi" }],
    });
    let cost: unknown;
    for await (const event of stream)
      if (event.type === "message_delta") cost = (event.usage as unknown as Record<string, unknown>).cost;
    expect(cost).toBe(MESSAGES_MICROS / 1_000_000);
  });
});
