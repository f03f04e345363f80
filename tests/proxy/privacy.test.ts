import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../../src/cli/run";
import { abortedAt, startFakeUpstream, UPSTREAM_CANARY, type FakeUpstream } from "../helpers/fakeUpstream";
import { KEYS, PROVIDER_KEYS, providersToml, startGateway, type Gateway } from "../helpers/gateway";
import { startServe, type Served } from "../helpers/process";
import { openRawStream } from "../helpers/rawClient";

const root = join(import.meta.dir, "../..");
const PROMPT = "CANARY-prompt-9a4f1c";
const RESPONSE = "CANARY-response-b7e2d0";
const CANARIES = [PROMPT, RESPONSE, UPSTREAM_CANARY];

/** Every file under `dir` whose bytes contain `needle`. */
function filesContaining(dir: string, needle: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const path = join(dir, name);
    if (statSync(path).isFile() && readFileSync(path).includes(needle)) found.push(name);
  }
  return found;
}

/**
 * Every path a prompt can take: success (JSON and streams, both formats), validation errors,
 * upstream errors (whose messages echo the prompt), an in-stream provider error, and a client
 * that disconnects mid-stream. Returns everything the clients received.
 */
async function exercise(url: string, key: string, fake: FakeUpstream): Promise<string> {
  const messages = [{ role: "user", content: `Please repeat ${PROMPT}` }];
  const post = async (path: string, body: string) =>
    (
      await fetch(`${url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
        body,
      })
    ).text();
  const chat = (model: string, stream = false) =>
    post("/v1/chat/completions", JSON.stringify({ model, stream, messages }));
  const received = [
    await chat("fine"),
    await chat("fine", true),
    await post("/v1/messages", JSON.stringify({ model: "fine", stream: true, max_tokens: 64, messages })),
    await post("/v1/chat/completions", JSON.stringify({ model: 42, messages })),
    await post("/v1/chat/completions", JSON.stringify({ model: "fine", stream: PROMPT, messages })),
    await post("/v1/chat/completions", `{"model":"fine","messages":[{"role":"user","content":"${PROMPT}`),
    await chat("bad-400"),
    await chat("fail-500"),
    await chat("stream-error", true),
  ];
  const aborted = openRawStream(
    url,
    "/v1/chat/completions",
    { authorization: `Bearer ${key}` },
    JSON.stringify({ model: "endless", stream: true, messages }),
  );
  await aborted.until((text) => text.includes(RESPONSE));
  aborted.close();
  await abortedAt(fake.requests.at(-1)!);
  return received.join("\n") + aborted.text();
}

/** Positive controls: the canaries really went through the gateway, and the scanner finds what is there. */
function expectCanariesInFlight(received: string, fake: FakeUpstream) {
  expect(received).toContain(RESPONSE);
  expect(fake.requests.some((r) => JSON.stringify(r.body).includes(PROMPT))).toBe(true);
  const control = mkdtempSync(join(tmpdir(), "kriora-control-"));
  writeFileSync(join(control, "planted.bin"), `xx${PROMPT}xx`);
  expect(filesContaining(control, PROMPT)).toEqual(["planted.bin"]);
  rmSync(control, { recursive: true, force: true });
}

/** What the client may see: the response text it asked for, never its prompt echoed back nor a provider's error message. */
function expectNoEchoInErrors(received: string) {
  expect(received).not.toContain(UPSTREAM_CANARY);
  expect(received).not.toContain(PROMPT);
}

describe("§3 zero retention: `kriora serve` with a real API key keeps no prompt or response anywhere", () => {
  let fake: FakeUpstream;
  let dir: string;
  let served: Served;
  let received: string;

  beforeAll(async () => {
    fake = startFakeUpstream();
    fake.reply = `Here it is: ${RESPONSE} as asked`;
    dir = mkdtempSync(join(tmpdir(), "kriora-privacy-"));
    const toml = join(dir, "kriora.toml");
    writeFileSync(toml, providersToml(fake.url));
    const cli = async (...args: string[]) => {
      const out: string[] = [];
      expect(
        await runCli([...args, "--json", "--config", toml, "--data", join(dir, "data")], {
          out: (t) => out.push(t),
          err: () => {},
          env: {},
        }),
      ).toBe(0);
      return JSON.parse(out.join(""));
    };
    await cli("accounts", "create", "--email", "canary-owner@example.com");
    const { key } = await cli("keys", "issue", "--account", "canary-owner@example.com", "--scopes", "model");
    served = await startServe(
      [process.execPath, join(root, "src/main.ts"), "serve", "--config", toml, "--data", join(dir, "data")],
      dir,
      {
        FAKE_OPENAI_KEY: PROVIDER_KEYS.openai,
        FAKE_ANTHROPIC_KEY: PROVIDER_KEYS.anthropic,
      },
    );
    received = await exercise(served.url, key, fake);
    expect(await served.stop()).toBe(0);
  }, 20_000);
  afterAll(async () => {
    await fake.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("positive controls: the canaries crossed the gateway and the request log was written", () => {
    expectCanariesInFlight(received, fake);
    expect(served.stdout()).toContain('"route":"/v1/chat/completions"');
  });

  test("no canary in any error the client received", () => expectNoEchoInErrors(received));

  test("no canary in stdout or stderr, on the success, validation-error, upstream-error and abort paths", () => {
    for (const canary of CANARIES) expect(served.stdout() + served.stderr()).not.toContain(canary);
  });

  test("no canary in any file the process wrote (database, WAL, key, anything in its working directory)", () => {
    for (const canary of CANARIES) expect(filesContaining(dir, canary)).toEqual([]);
  });
});

describe("§3 zero retention: the in-process gateway's captured log and usage records", () => {
  let gw: Gateway;
  let received: string;
  beforeAll(async () => {
    gw = await startGateway();
    gw.fake.reply = `Here it is: ${RESPONSE} as asked`;
    received = await exercise(gw.url, KEYS.user, gw.fake);
    await gw.events(7);
  });
  afterAll(() => gw.close());

  test("nothing of the content reaches the log lines or the usage events; the log does record the requests", () => {
    expectCanariesInFlight(received, gw.fake);
    expectNoEchoInErrors(received);
    expect(gw.env.log.text()).toContain("upstream_failed");
    expect(gw.usage.events.map((e) => e.outcome)).toEqual([
      "ok",
      "ok",
      "ok",
      "upstream_error",
      "upstream_error",
      "upstream_error",
      "client_abort",
    ]);
    for (const canary of CANARIES) {
      expect(gw.env.log.text()).not.toContain(canary);
      expect(JSON.stringify(gw.usage.events)).not.toContain(canary);
      expect(filesContaining(gw.env.dir, canary)).toEqual([]);
    }
  });
});
