import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { KEYS, providerToml, startGateway, type Gateway } from "../helpers/gateway";
import { json } from "../helpers/http";

let gw: Gateway;
beforeAll(async () => {
  gw = await startGateway(
    (url) =>
      "[server]\nport = 0\n[limits]\nrpm = 2\ntpm = 0\nconcurrency = 0\n" +
      providerToml({ id: "oa", kind: "openai", url }) +
      providerToml({ id: "an", kind: "anthropic", url }) +
      `[[models]]\nid = "gpt"\nprovider = "oa"\n[[models]]\nid = "claude"\nprovider = "an"\n`,
  );
});
afterAll(() => gw.close());

const openai = (apiKey = KEYS.user) => new OpenAI({ apiKey, baseURL: `${gw.url}/v1`, maxRetries: 0 });
const ask = (client: OpenAI, model = "gpt") =>
  client.chat.completions.create({ model, messages: [{ role: "user", content: "hi" }] });
const messages = () =>
  fetch(`${gw.url}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": KEYS.user, "anthropic-version": "2023-06-01" },
    body: JSON.stringify({ model: "claude", max_tokens: 8, messages: [{ role: "user", content: "hi" }] }),
  });

describe("OpenAI's own error codes on the OpenAI routes; Anthropic's types and headers on /v1/messages", () => {
  test("a bad key is 401 invalid_api_key and an unknown model 404 model_not_found, as the official SDK reads them", async () => {
    const unauthorised = await ask(openai("kr_not_a_key")).catch((e) => e);
    expect(unauthorised).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(unauthorised).toMatchObject({ status: 401, code: "invalid_api_key", type: "authentication_error" });
    const unknown = await ask(openai(), "no-such-model").catch((e) => e);
    expect(unknown).toBeInstanceOf(OpenAI.NotFoundError);
    expect(unknown).toMatchObject({ status: 404, code: "model_not_found", param: "model" });
    const route = await fetch(`${gw.url}/v1/nothing-here`, { headers: { authorization: `Bearer ${KEYS.user}` } });
    expect((await json(route)).error.code).toBe("not_found");
    const anthropic = await new Anthropic({ apiKey: "kr_not_a_key", baseURL: gw.url, maxRetries: 0 }).messages
      .create({ model: "claude", max_tokens: 8, messages: [{ role: "user", content: "hi" }] })
      .catch((e) => e);
    expect(anthropic).toBeInstanceOf(Anthropic.AuthenticationError);
    expect(anthropic.error).toMatchObject({ type: "error", error: { type: "authentication_error" } });
  });

  test("rate limits: anthropic-ratelimit-* on /v1/messages, then 429 rate_limit_exceeded (OpenAI) and rate_limit_error (Anthropic)", async () => {
    const first = await messages();
    expect(first.status).toBe(200);
    await first.text();
    expect(first.headers.get("anthropic-ratelimit-requests-limit")).toBe("2");
    expect(first.headers.get("anthropic-ratelimit-requests-remaining")).toBe("1");
    expect(Date.parse(first.headers.get("anthropic-ratelimit-requests-reset")!)).toBeGreaterThan(Date.now() - 1_000);
    expect(first.headers.get("x-ratelimit-limit-requests")).toBeNull();

    const second = await ask(openai()).withResponse();
    expect(second.response.headers.get("x-ratelimit-remaining-requests")).toBe("0");
    const limited = await ask(openai()).catch((e) => e);
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
    expect(limited).toMatchObject({ status: 429, code: "rate_limit_exceeded", type: "rate_limit_error" });

    const refused = await messages();
    expect(refused.status).toBe(429);
    expect((await json(refused)).error).toMatchObject({ type: "rate_limit_error" });
    expect(refused.headers.get("anthropic-ratelimit-requests-remaining")).toBe("0");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(refused.headers.get("x-ratelimit-remaining-requests")).toBeNull();
  });
});
