import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { KEYS, providerToml, startGateway, type Gateway } from "../helpers/gateway";

let gw: Gateway;
beforeAll(async () => {
  gw = await startGateway(
    (url) =>
      "[server]\nport = 0\n" +
      providerToml({ id: "oa", kind: "openai", url }) +
      providerToml({ id: "an", kind: "anthropic", url }) +
      `[[models]]\nid = "smart"\naliases = ["smart-latest"]\ncontext_length = 128000\ninput_usd_per_mtok = 2.5\noutput_usd_per_mtok = 10\n` +
      `deployments = [{ provider = "oa", upstream = "gpt-x", weight = 2 }, { provider = "an", upstream = "claude-x" }]\n` +
      `[[models]]\nid = "embed"\nkind = "embedding"\nprovider = "oa"\n` +
      `[[models]]\nid = "claude"\nprovider = "an"\n`,
  );
});
afterAll(() => gw.close());

describe("GET /v1/models with [[models]] configured", () => {
  test("each model's client formats, kind, context length, prices and aliases; no upstream list is fetched", async () => {
    const page = await new OpenAI({ apiKey: KEYS.user, baseURL: `${gw.url}/v1` }).models.list();
    const byId = Object.fromEntries(page.data.map((m) => [m.id, m as unknown as Record<string, unknown>]));
    expect(Object.keys(byId)).toEqual(["smart", "embed", "claude"]);
    expect(byId.smart).toMatchObject({
      aliases: ["smart-latest"],
      kind: "chat",
      formats: ["openai", "anthropic"],
      context_length: 128000,
      pricing: { input_usd_per_mtok: 2.5, output_usd_per_mtok: 10, cached_input_usd_per_mtok: 0 },
      providers: [{ id: "oa" }, { id: "an" }],
    });
    expect(byId.embed).toMatchObject({ kind: "embedding", formats: ["openai"], context_length: null, pricing: null });
    // A chat model is callable from either client format: translation reaches it (README "Translation").
    expect(byId.claude).toMatchObject({ kind: "chat", formats: ["openai", "anthropic"] });
    expect(gw.fake.modelListHits).toBe(0);
  });
});
