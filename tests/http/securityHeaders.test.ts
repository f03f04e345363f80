import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { securityHeaders } from "../../src/http/security";
import { KEYS, startGateway, type Gateway } from "../helpers/gateway";

let gw: Gateway;
beforeAll(async () => {
  gw = await startGateway();
});
afterAll(() => gw.close());

const EXPECTED = securityHeaders("/v1/chat/completions", false);

const post = (
  path: string,
  body: unknown,
  headers: Record<string, string> = { authorization: `Bearer ${KEYS.user}` },
) =>
  fetch(`${gw.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
const chat = (model: string, stream = false) =>
  post("/v1/chat/completions", { model, stream, messages: [{ role: "user", content: "hi" }] });

describe("§9 security headers on every response, the relayed ones included", () => {
  const cases: [string, () => Promise<Response>, number][] = [
    ["a small JSON answer (sent whole)", () => chat("fine"), 200],
    ["a large JSON answer (relayed as it arrives)", () => chat("big-json"), 200],
    ["an SSE stream", () => chat("fine", true), 200],
    [
      "an Anthropic SSE stream",
      () =>
        post("/v1/messages", { model: "fine", stream: true, max_tokens: 8, messages: [] }, { "x-api-key": KEYS.user }),
      200,
    ],
    ["a stream the provider breaks off", () => chat("cut", true), 200],
    ["a provider 5xx (502 after failover)", () => chat("fail-500"), 502],
    ["a provider 4xx", () => chat("bad-400"), 400],
    ["a validation error", () => post("/v1/chat/completions", { model: 42 }), 400],
    ["a missing key", () => post("/v1/chat/completions", { model: "fine" }, {}), 401],
    ["an unknown route", () => fetch(`${gw.url}/v1/nothing`), 404],
  ];

  test.each(cases)("%s", async (_, send, status) => {
    const res = await send();
    await res.arrayBuffer();
    expect(res.status).toBe(status);
    for (const [name, value] of Object.entries(EXPECTED)) expect([name, res.headers.get(name)]).toEqual([name, value]);
    expect(res.headers.get("x-request-id")).toMatch(/^req_/);
  });
});
