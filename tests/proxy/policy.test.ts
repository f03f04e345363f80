import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { createApp } from "../../src/http/app";
import { MemoryUsageSink } from "../helpers/usage";
import { makeTestEnv, type TestEnv } from "../helpers/deps";
import { startFakeUpstream, type FakeUpstream } from "../helpers/fakeUpstream";
import { KEYS, providerToml, tokenAuthenticator } from "../helpers/gateway";
import { json, type Handler } from "../helpers/http";

let fake: FakeUpstream;
let env: TestEnv;
let app: Handler;
let usage: MemoryUsageSink;

beforeAll(async () => {
  fake = startFakeUpstream();
  env = await makeTestEnv(
    [
      providerToml({ id: "us-retains", kind: "openai", url: fake.url }),
      providerToml({ id: "eu-zdr", kind: "openai", url: fake.url, zdr: true, region: "eu" }),
      providerToml({ id: "claude-us", kind: "anthropic", url: fake.url }),
      `[[models]]\nid = "gpt-test"\nprovider = "us-retains"\nupstream = "us-model"\nfallbacks = [{ provider = "eu-zdr", upstream = "eu-model" }]`,
      `[[models]]\nid = "gpt-us-only"\nprovider = "us-retains"`,
      `[[models]]\nid = "claude-test"\nprovider = "claude-us"`,
    ].join("\n"),
  );
  env.deps.auth = tokenAuthenticator;
  usage = new MemoryUsageSink();
  env.deps.usage = usage;
  app = createApp(env.deps);
});
afterAll(async () => {
  await fake.stop();
  env.close();
});
beforeEach(() => {
  fake.requests.length = 0;
  usage.events.length = 0;
});

const call = (path: string, key: string | null, body: Record<string, unknown>) =>
  app.handle(
    new Request(`http://localhost${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) },
      body: JSON.stringify({ messages: [{ role: "user", content: "hi" }], max_tokens: 8, ...body }),
    }),
  );
const listModels = async (key: string) =>
  json(await app.handle(new Request("http://localhost/v1/models", { headers: { authorization: `Bearer ${key}` } })));

describe("§3/§12 retention-aware routing fails closed", () => {
  test("§3 zero retention: a key requiring ZDR is refused with the policy named, and no provider is called", async () => {
    const res = await call("/v1/chat/completions", KEYS.zdr, { model: "gpt-us-only" });
    expect(res.status).toBe(422);
    const { error } = await json(res);
    expect(error.code).toBe("policy_violation");
    expect(error.message).toContain("zero data retention");
    expect(error.message).toContain('model "gpt-us-only"');
    expect(fake.requests).toHaveLength(0);
    expect(usage.events[0]).toMatchObject({
      outcome: "refused",
      provider: null,
      status: 422,
      errorCode: "policy_violation",
    });
  });

  test("§3 zero retention: of a model's targets, only those declaring ZDR are ever tried", async () => {
    const res = await call("/v1/chat/completions", KEYS.zdr, { model: "gpt-test" });
    expect(res.status).toBe(200);
    await res.text();
    expect(fake.requests.map((r) => r.model)).toEqual(["eu-model"]);
  });

  test("§12 transfers: a key limited to region eu never reaches a us provider; refusals use the Anthropic shape on /v1/messages", async () => {
    const refused = await call("/v1/messages", KEYS.eu, { model: "claude-test" });
    expect(refused.status).toBe(422);
    const body = await json(refused);
    expect(body.type).toBe("error");
    expect(body.error.message).toContain("region among: eu");
    const allowed = await call("/v1/chat/completions", KEYS.eu, { model: "gpt-test" });
    await allowed.text();
    expect(fake.requests.map((r) => r.model)).toEqual(["eu-model"]);
  });

  test("GET /v1/models lists what the key may use, with each reachable provider's zdr and region", async () => {
    const all = await listModels(KEYS.user);
    expect(all.object).toBe("list");
    expect(all.data.map((m: { id: string }) => m.id)).toEqual(["gpt-test", "gpt-us-only", "claude-test"]);
    expect(all.data[0]).toMatchObject({
      zdr: false,
      region: "us",
      providers: [
        { id: "us-retains", zdr: false, region: "us" },
        { id: "eu-zdr", zdr: true, region: "eu" },
      ],
    });
    const zdr = await listModels(KEYS.zdr);
    expect(zdr.data).toEqual([
      {
        id: "gpt-test",
        object: "model",
        created: 0,
        owned_by: "eu-zdr",
        zdr: true,
        region: "eu",
        providers: [{ id: "eu-zdr", zdr: true, region: "eu" }],
        aliases: [],
        kind: "chat",
        formats: ["openai", "anthropic"],
        context_length: null,
        pricing: null,
      },
    ]);
    expect((await listModels(KEYS.limited)).data.map((m: { id: string }) => m.id)).toEqual(["gpt-test"]);
  });
});

describe("model access", () => {
  test("a model outside the key's allowed list is 403; an unknown model is 404 without echoing the name", async () => {
    const forbidden = await call("/v1/chat/completions", KEYS.limited, { model: "gpt-us-only" });
    expect(forbidden.status).toBe(403);
    const unknown = await call("/v1/chat/completions", KEYS.user, { model: "no-such-model-xyz" });
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).not.toContain("no-such-model-xyz");
    expect(fake.requests).toHaveLength(0);
  });

  test("a model whose provider's format has no translation for the route is refused, naming the route", async () => {
    const res = await call("/v1/embeddings", KEYS.user, { model: "claude-test", input: "x" });
    expect(res.status).toBe(400);
    expect((await json(res)).error).toMatchObject({
      param: "model",
      message: expect.stringContaining("/v1/embeddings"),
    });
    expect(fake.requests).toHaveLength(0);
  });

  test("credentials without the model scope are 403; none at all is 401, in each route's error shape", async () => {
    expect((await call("/v1/chat/completions", KEYS.noModelScope, { model: "gpt-test" })).status).toBe(403);
    const openai = await call("/v1/chat/completions", null, { model: "gpt-test" });
    expect(openai.status).toBe(401);
    expect((await json(openai)).error.type).toBe("authentication_error");
    const anthropic = await call("/v1/messages", null, { model: "claude-test" });
    expect(anthropic.status).toBe(401);
    expect(await json(anthropic)).toMatchObject({ type: "error", error: { type: "authentication_error" } });
    const models = await app.handle(new Request("http://localhost/v1/models"));
    expect(models.status).toBe(401);
    expect(fake.requests).toHaveLength(0);
  });

  test("a body without a model is refused before any provider is called, naming the field only", async () => {
    const res = await call("/v1/chat/completions", KEYS.user, { model: undefined });
    expect(res.status).toBe(400);
    expect((await json(res)).error.param).toBe("/model");
    expect(fake.requests).toHaveLength(0);
  });
});
