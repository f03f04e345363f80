import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { abortedAt, UPSTREAM_CANARY } from "../helpers/fakeUpstream";
import { KEYS, providerToml, startGateway, type Gateway } from "../helpers/gateway";
import { json } from "../helpers/http";

const timeouts = ["connect_timeout_ms = 500", "first_byte_timeout_ms = 400", "idle_timeout_ms = 300"];
const provider = (id: string, url: string) => providerToml({ id, kind: "openai", url, extra: timeouts });
const model = (id: string, primary: string, upstream: string, backup?: string) =>
  `[[models]]\nid = "${id}"\nprovider = "${primary}"\nupstream = "${upstream}"\n${backup ? `fallbacks = [{ provider = "backup", upstream = "${backup}" }]\n` : ""}`;

let gw: Gateway;
beforeAll(async () => {
  gw = await startGateway((fake) =>
    [
      "[server]\nport = 0",
      provider("primary", fake),
      provider("backup", fake),
      provider("dead", "http://127.0.0.1:1"),
      model("m-500", "primary", "fail-500", "fine"),
      model("m-429", "primary", "fail-429", "fine"),
      model("m-refused", "dead", "fine", "fine"),
      model("m-hang", "primary", "hang", "fine"),
      model("m-hang-body", "primary", "hang-body", "fine"),
      model("m-cut", "primary", "cut", "fine"),
      model("m-bad", "primary", "bad-400", "fine"),
      model("m-redirect", "primary", "redirect"),
      model("m-stall", "primary", "stall"),
      model("m-all-fail", "primary", "fail-500", "fail-500"),
    ].join("\n"),
  );
});
afterAll(() => gw.close());
beforeEach(() => {
  gw.usage.events.length = 0;
  gw.fake.requests.length = 0;
});

const chat = (modelId: string, stream = false) =>
  fetch(`${gw.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${KEYS.user}` },
    body: JSON.stringify({ model: modelId, stream, messages: [{ role: "user", content: "hi" }] }),
  });

describe("failover to the next target, only before the first byte reached the client", () => {
  for (const [id, why] of [
    ["m-500", "a 5xx"],
    ["m-429", "a 429"],
    ["m-refused", "a refused connection"],
    ["m-hang", "no answer within the first-byte timeout"],
    ["m-hang-body", "no body byte within the first-byte timeout"],
  ] as const) {
    test(`${why} from the primary: the backup answers and is metered`, async () => {
      const res = await chat(id, id === "m-hang-body");
      expect(res.status).toBe(200);
      await res.text();
      expect(gw.fake.requests.at(-1)!.model).toBe("fine");
      const [event] = await gw.events(1);
      expect(event).toMatchObject({ model: id, provider: "backup", outcome: "ok", status: 200 });
    });
  }

  test("a stream that broke after its first byte is never retried elsewhere: the client gets an error event", async () => {
    const text = await (await chat("m-cut", true)).text();
    expect(text).toContain('"content":"Hello "');
    expect(text.trim().split("\n\n").slice(-2)).toEqual([
      expect.stringContaining('"code":"upstream_error"'),
      "data: [DONE]",
    ]);
    expect(gw.fake.requests.map((r) => r.model)).toEqual(["cut"]);
    const [event] = await gw.events(1);
    expect(event).toMatchObject({ provider: "primary", outcome: "upstream_error", estimated: true });
  });

  test("a 4xx about the request itself is not retried; the client gets a sanitised message", async () => {
    const res = await chat("m-bad");
    expect(res.status).toBe(400);
    const body = await json(res);
    expect(body.error).toMatchObject({ type: "invalid_request_error", code: "invalid_request" });
    expect(body.error.message).toContain("invalid_prompt");
    expect(JSON.stringify(body)).not.toContain(UPSTREAM_CANARY);
    expect(gw.fake.requests).toHaveLength(1);
  });

  test("when every target fails the client gets 502 and the failure is metered without tokens", async () => {
    const res = await chat("m-all-fail");
    expect(res.status).toBe(502);
    expect((await json(res)).error.code).toBe("upstream_error");
    expect(gw.fake.requests).toHaveLength(2);
    const [event] = await gw.events(1);
    expect(event).toMatchObject({
      provider: "backup",
      status: 502,
      outcome: "upstream_error",
      errorType: "server_error",
      inputTokens: 0,
      outputTokens: 0,
    });
  });
});

describe("upstream redirects and timeouts", () => {
  test("a 3xx from the provider is never followed", async () => {
    const res = await chat("m-redirect");
    expect(res.status).toBe(502);
    expect((await json(res)).error.message).toContain("redirect");
    expect(gw.fake.redirectHits).toBe(0);
  });

  test("a provider silent for longer than its idle timeout mid-stream: the stream ends with a timeout error event", async () => {
    const start = performance.now();
    const text = await (await chat("m-stall", true)).text();
    expect(performance.now() - start).toBeLessThan(2_000);
    const error = JSON.parse(
      text
        .trim()
        .split("\n\n")
        .at(-2)!
        .replace(/^data: /, ""),
    ).error;
    expect(error).toMatchObject({ code: "upstream_timeout" });
    expect(await abortedAt(gw.fake.requests[0]!)).not.toBeNull();
    const [event] = await gw.events(1);
    expect(event).toMatchObject({ outcome: "timeout", errorCode: "upstream_timeout", estimated: true });
  });
});
