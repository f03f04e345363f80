import { afterEach, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { SYNC_MS } from "../../src/auth/view";
import { runCli } from "../../src/cli/run";
import { createApp } from "../../src/http/app";
import { makeTestEnv, type TestEnv } from "../helpers/deps";

let env: TestEnv | undefined;
afterEach(() => env?.close());

const CONFIG = `
[[providers]]
id = "local"
kind = "openai"
base_url = "http://127.0.0.1:9/v1"
zdr = true
region = "eu"

[[models]]
id = "small"
provider = "local"

[[models]]
id = "large"
provider = "local"
`;

async function kriora(...args: string[]): Promise<any> {
  const out: string[] = [];
  const code = await runCli([...args, "--json", "--data", `${env!.dir}/data`], {
    out: (t) => out.push(t),
    err: () => {},
    env: {},
  });
  expect(code).toBe(0);
  return JSON.parse(out.join(""));
}

/** The official SDK, its HTTP going to the app in-process (GET /v1/models never reaches the provider). */
function sdk(apiKey: string) {
  const app = createApp(env!.deps);
  return new OpenAI({
    apiKey,
    baseURL: "http://kriora.test/v1",
    maxRetries: 0,
    fetch: (url, init) => app.handle(new Request(url instanceof Request ? url.url : String(url), init)),
  });
}

describe("§5 authenticate accounts: the official openai SDK with a key from `kriora keys issue`", () => {
  test("passes authentication (probe: GET /v1/models); once revoked, the SDK raises AuthenticationError", async () => {
    env = await makeTestEnv(CONFIG);
    await kriora("accounts", "create", "--email", "sdk@example.com");
    const issued = await kriora("keys", "issue", "--account", "sdk@example.com", "--scopes", "model,account");
    const client = sdk(issued.key);
    const models = [];
    for await (const m of client.models.list()) models.push(m.id);
    expect(models.sort()).toEqual(["large", "small"]);

    await kriora("keys", "revoke", issued.id);
    await Bun.sleep(SYNC_MS); // another connection's commit is seen within SYNC_MS
    const failure = await client.models.list().then(
      () => null,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((failure as InstanceType<typeof OpenAI.AuthenticationError>).status).toBe(401);
  });

  test("the key's settings from the CLI (allowed models) reach the model API", async () => {
    env = await makeTestEnv(CONFIG);
    await kriora("accounts", "create", "--email", "narrow@example.com");
    const issued = await kriora(
      "keys",
      "issue",
      "--account",
      "narrow@example.com",
      "--models",
      "small",
      "--require-zdr",
      "--regions",
      "eu",
    );
    const page = await sdk(issued.key).models.list();
    expect(page.data.map((m) => m.id)).toEqual(["small"]);
  });
});
