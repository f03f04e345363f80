import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startServer, type RunningServer } from "../../src/http/serve";
import { makeTestEnv, type TestEnv } from "../helpers/deps";
import { startFakeUpstream, type FakeUpstream } from "../helpers/fakeUpstream";
import { KEYS, providerToml, tokenAuthenticator } from "../helpers/gateway";

let fake: FakeUpstream;
let env: TestEnv;
let server: RunningServer;

beforeAll(async () => {
  fake = startFakeUpstream();
  env = await makeTestEnv(
    "[server]\nport = 0\n[limits]\nrpm = 0\ntpm = 0\nconcurrency = 0\n" +
      providerToml({ id: "oa", kind: "openai", url: fake.url }) +
      providerToml({ id: "an", kind: "anthropic", url: fake.url }) +
      `[[models]]\nid = "gpt"\nprovider = "oa"\nupstream = "fine"\n` +
      `[[models]]\nid = "claude"\nprovider = "an"\nupstream = "fine"\n`,
  );
  env.deps.auth = tokenAuthenticator;
  server = startServer(env.deps);
});
afterAll(async () => {
  await server.stop();
  await fake.stop();
  env.close();
});

const post = (path: string, body: unknown) =>
  fetch(`${server.url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${KEYS.user}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
const chat = (model: string, stream: boolean) =>
  post("/v1/chat/completions", { model, stream, messages: [{ role: "user", content: "hi" }] });

describe("§9 security headers on answers the proxy builds", () => {
  test.each([
    ["JSON", () => chat("gpt", false)],
    ["a stream", () => chat("gpt", true)],
    ["translated JSON", () => chat("claude", false)],
    ["a translated stream", () => chat("claude", true)],
    [
      "count_tokens",
      () => post("/v1/messages/count_tokens", { model: "claude", messages: [{ role: "user", content: "hi" }] }),
    ],
  ])("%s: security headers, the request id and the answer's own content type", async (_, send) => {
    const res = await send();
    await res.arrayBuffer();
    expect(res.status).toBe(200);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    expect(res.headers.get("cache-control")).toContain("no");
    expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(res.headers.get("x-request-id")).toMatch(/^req_[0-9a-z]{20}$/);
    expect(res.headers.get("content-type")).toMatch(/^(application\/json|text\/event-stream)/);
  });
});
