import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { KEYS, PROVIDER_KEYS, startGateway, type Gateway } from "../helpers/gateway";

let gw: Gateway;
beforeAll(async () => {
  gw = await startGateway(
    (url) =>
      `[server]\nport = 0\n[[providers]]\nid = "azure"\nkind = "azure-openai"\nbase_url = "${url}/"\napi_key_env = "FAKE_OPENAI_KEY"\napi_version = "2024-10-21"\n` +
      `[[models]]\nid = "gpt-4o"\nprovider = "azure"\nupstream = "my-gpt4o-deployment"\n`,
  );
});
afterAll(() => gw.close());

describe("azure-openai: OpenAI's wire at the deployment URL, keyed with api-key", () => {
  test("the official openai SDK gets its answer; the provider is called at /openai/deployments/<upstream>/… with api-version and api-key only", async () => {
    const client = new OpenAI({ apiKey: KEYS.user, baseURL: `${gw.url}/v1` });
    const stream = await client.chat.completions.create({
      model: "gpt-4o",
      stream: true,
      messages: [{ role: "user", content: "hi" }],
    });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    expect(text).toBe(gw.fake.reply);
    const [seen] = gw.fake.requests;
    expect(seen!.path).toBe("/openai/deployments/my-gpt4o-deployment/chat/completions");
    expect(seen!.query).toBe("?api-version=2024-10-21");
    expect(seen!.headers.get("api-key")).toBe(PROVIDER_KEYS.openai);
    expect(seen!.headers.get("authorization")).toBeNull();
    const [event] = await gw.events(1);
    expect(event).toMatchObject({ model: "gpt-4o", provider: "azure", outcome: "ok", estimated: false });
  });
});
