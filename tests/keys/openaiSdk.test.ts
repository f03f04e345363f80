import { afterEach, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { runCli } from "../../src/cli/run";
import { createApp } from "../../src/http/app";
import { makeTestEnv, type TestEnv } from "../helpers/deps";

let env: TestEnv | undefined;
afterEach(() => env?.close());

async function kriora(...args: string[]): Promise<any> {
  const out: string[] = [];
  const code = await runCli([...args, "--json", "--data", `${env!.dir}/data`], { out: (t) => out.push(t), err: () => {}, env: {} });
  expect(code).toBe(0);
  return JSON.parse(out.join(""));
}

/** The official SDK, its HTTP going to the app in-process. */
function sdk(apiKey: string) {
  const app = createApp(env!.deps);
  return new OpenAI({ apiKey, baseURL: "http://kriora.test", maxRetries: 0, fetch: (url, init) => app.handle(new Request(url instanceof Request ? url.url : String(url), init)) });
}

describe("§5 authenticate accounts: the official openai SDK with a key from `kriora keys issue`", () => {
  test("passes authentication (probe: GET /account), and the same SDK raises AuthenticationError once the key is revoked", async () => {
    env = makeTestEnv();
    const account = await kriora("accounts", "create", "--email", "sdk@example.com");
    const issued = await kriora("keys", "issue", "--account", "sdk@example.com", "--scopes", "model,account");
    const client = sdk(issued.key);
    const me = await client.get<{ id: string; email: string }>("/account");
    expect(me).toMatchObject({ id: account.id, email: "sdk@example.com" });

    await kriora("keys", "revoke", issued.id);
    const failure = await client.get("/account").then(
      () => null,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((failure as InstanceType<typeof OpenAI.AuthenticationError>).status).toBe(401);
  });
});
