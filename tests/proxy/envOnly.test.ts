import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config/load";
import { openDeps, type Deps } from "../../src/deps";
import { createApp } from "../../src/http/app";
import { ENDPOINTS } from "../../src/proxy/endpoints";
import { routeModel } from "../../src/proxy/routing";
import { captureLog } from "../helpers/deps";
import { startFakeUpstream, type FakeUpstream } from "../helpers/fakeUpstream";
import { KEYS, testPrincipal, tokenAuthenticator } from "../helpers/gateway";
import { json, type Handler } from "../helpers/http";

const open = testPrincipal().policy;
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "kriora-envonly-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** No config file: providers come from the well-known variables alone. */
const envConfig = (env: Record<string, string>) => loadConfig({ env, cwd: dir, dataDir: join(dir, "data") });

describe("env-only mode: models are offered under their upstream names", () => {
  test("any model id goes to the first provider of the route's format; `provider/model` picks another", () => {
    const config = envConfig({ OPENAI_API_KEY: "sk-x", KRIORA_UPSTREAM_URL: "http://127.0.0.1:9/v1" });
    const route = (model: string) =>
      routeModel(config, model, ENDPOINTS.chat, open).map((t) => [t.provider.id, t.upstream]);
    expect(route("gpt-4o-mini")).toEqual([["openai", "gpt-4o-mini"]]);
    expect(route("upstream/llama3.1:8b")).toEqual([["upstream", "llama3.1:8b"]]);
    expect(route("meta-llama/Llama-3.1-8B")).toEqual([["openai", "meta-llama/Llama-3.1-8B"]]);
  });

  test("with no provider of the route's format, the first one translation reaches; none when no translation exists", () => {
    const openaiOnly = envConfig({ OPENAI_API_KEY: "sk-x" });
    expect(routeModel(openaiOnly, "claude-x", ENDPOINTS.messages, open).map((t) => t.provider.id)).toEqual(["openai"]);
    const anthropicOnly = envConfig({ ANTHROPIC_API_KEY: "sk-ant" });
    expect(routeModel(anthropicOnly, "gpt-x", ENDPOINTS.chat, open).map((t) => t.provider.id)).toEqual(["anthropic"]);
    expect(() => routeModel(anthropicOnly, "embed-x", ENDPOINTS.embeddings, open)).toThrow(
      "No provider that can serve this endpoint",
    );
  });

  test("§3 zero retention: env providers declare no ZDR, so a ZDR key is refused, never routed", () => {
    const config = envConfig({ KRIORA_UPSTREAM_URL: "http://127.0.0.1:9/v1" });
    expect(() => routeModel(config, "llama3", ENDPOINTS.chat, { ...open, requireZdr: true })).toThrow(
      "zero data retention",
    );
  });

  describe("through the app, against a local OpenAI-compatible server (KRIORA_UPSTREAM_URL)", () => {
    let fake: FakeUpstream;
    let deps: Deps;
    let app: Handler;
    let now = Date.UTC(2026, 0, 5);
    beforeAll(async () => {
      fake = startFakeUpstream();
      process.env.KRIORA_UPSTREAM_KEY = "sk-local-server";
      deps = await openDeps(envConfig({ KRIORA_UPSTREAM_URL: `${fake.url}/v1` }), {
        log: captureLog(),
        clock: { now: () => now },
      });
      deps.auth = tokenAuthenticator;
      app = createApp(deps);
    });
    afterAll(async () => {
      delete process.env.KRIORA_UPSTREAM_KEY;
      deps.handle.close();
      await fake.stop();
    });

    test("the model name is passed through as is, with the server's own key", async () => {
      const res = await app.handle(
        new Request("http://localhost/v1/chat/completions", {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${KEYS.user}` },
          body: JSON.stringify({ model: "llama3.1:8b", messages: [{ role: "user", content: "hi" }] }),
        }),
      );
      expect(res.status).toBe(200);
      expect((await json(res)).choices[0].message.content).toBe(fake.reply);
      expect(fake.requests[0]!.model).toBe("llama3.1:8b");
      expect(fake.requests[0]!.headers.get("authorization")).toBe("Bearer sk-local-server");
    });

    test("GET /v1/models lists the server's own /v1/models, cached, and fetched again after models_refresh_s", async () => {
      const list = async () =>
        (
          await json(
            await app.handle(
              new Request("http://localhost/v1/models", { headers: { authorization: `Bearer ${KEYS.user}` } }),
            ),
          )
        ).data;
      const first = await list();
      expect(first.map((m: { id: string }) => m.id)).toEqual(["fake-chat", "fake-embed"]);
      expect(first[0]).toMatchObject({
        owned_by: "upstream",
        kind: "chat",
        formats: ["openai", "anthropic"],
        context_length: 8192,
        pricing: null,
      });
      expect(first[1]).toMatchObject({ kind: "embedding", formats: ["openai"] });
      expect(fake.modelListHits).toBe(1);
      fake.models = ["fake-chat", "fake-new"];
      now += 599_000;
      expect((await list()).map((m: { id: string }) => m.id)).toEqual(["fake-chat", "fake-embed"]);
      expect(fake.modelListHits).toBe(1);
      now += 1_000;
      expect((await list()).map((m: { id: string }) => m.id)).toEqual(["fake-chat", "fake-new"]);
      expect(fake.modelListHits).toBe(2);
      expect((await list(), fake.modelListHits)).toBe(2);
    });

    test("a ZDR key sees no model of a provider that keeps data (§3), and nothing is fetched on its behalf elsewhere", async () => {
      const res = await app.handle(
        new Request("http://localhost/v1/models", { headers: { authorization: `Bearer ${KEYS.zdr}` } }),
      );
      expect((await json(res)).data).toEqual([]);
    });
  });
});
