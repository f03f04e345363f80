import { describe, expect, test } from "bun:test";
import {
  expectCleanRefusal,
  expectHealthy,
  expectRawRefusal,
  HOSTILE_CANARY,
  MODELS,
  rawExchange,
  useHostileTarget,
  type HostileTarget,
} from "../helpers/hostile";

let target: HostileTarget;
useHostileTarget((t) => (target = t));

/** Bytes that are not UTF-8: a stray continuation, an overlong '/', a cut 3-byte sequence, a surrogate encoded, 0xFF. */
const INVALID = [
  Buffer.from([0x80]),
  Buffer.from([0xc0, 0xaf]),
  Buffer.from([0xe2, 0x82]),
  Buffer.from([0xed, 0xa0, 0x80]),
  Buffer.from([0xff, 0xfe]),
];
const json = (...parts: (string | Buffer)[]) =>
  Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p) : p)));
const post = (path: string, body: Buffer) =>
  fetch(`${target.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${target.alice.key}` },
    body,
  });

describe("§3 hostile input: invalid UTF-8", () => {
  test.each(INVALID.map((b) => [b.toString("hex"), b] as const))(
    "bytes %s outside a string, or in the model name → a clean 400; nothing reaches the provider",
    async (_, bad) => {
      await expectCleanRefusal(
        await post(
          "/v1/chat/completions",
          json(`{"model":"${MODELS.openai}","messages":`, bad, `"${HOSTILE_CANARY}"}`),
        ),
      );
      const model = await post(
        "/v1/chat/completions",
        json(`{"model":"gpt`, bad, `fake","messages":["${HOSTILE_CANARY}"]}`),
      );
      expect(model.status).toBe(400);
      expect(JSON.parse(await expectCleanRefusal(model)).error.param).toBe("/model");
      await expectCleanRefusal(
        await post("/account/keys", json(`{"name":"`, bad, `${HOSTILE_CANARY}","scopes":["model",`, bad, "]}")),
      );
      expect(target.fake.requests).toEqual([]);
    },
  );

  test("in free text, the bytes reach the provider only as U+FFFD: the gateway re-encodes the body, so the provider never sees ill-formed UTF-8", async () => {
    for (const bad of INVALID) {
      const res = await post(
        "/v1/chat/completions",
        json(`{"model":"${MODELS.openai}","messages":[{"role":"user","content":"a`, bad, `b"}]}`),
      );
      expect(res.status).toBe(200);
      await res.text();
      const content: string = target.fake.requests.at(-1)!.body.messages[0].content;
      expect(content).toStartWith("a\uFFFD");
      expect(content).toEndWith("b");
      expect(Buffer.from(content).includes(bad)).toBe(false);
    }
    target.fake.requests.length = 0;
  });

  test("escaped lone surrogates are kept as escapes (well-formed JSON out), never a crash", async () => {
    const res = await post(
      "/v1/chat/completions",
      json(`{"model":"${MODELS.openai}","messages":[{"role":"user","content":"\\ud800 x \\udfff"}]}`),
    );
    expect(res.status).toBe(200);
    await res.text();
    expect(target.fake.requests.at(-1)!.body.messages[0].content).toBe("\ud800 x \udfff");
    target.fake.requests.length = 0;
  });

  test("in percent-encoded ids and query values → a clean 400/404", async () => {
    for (const path of [
      "/account/keys/%FF%FE",
      "/account/keys/%C0%AF%C0%AFetc",
      "/account/keys/%E2%82",
      "/account/usage?from=%FF",
      "/account/usage?group_by=%ED%A0%80",
    ]) {
      const res = await fetch(`${target.url}${path}`, { headers: { authorization: `Bearer ${target.alice.key}` } });
      expect([path, [400, 404].includes(res.status)]).toEqual([path, true]);
      await expectCleanRefusal(res);
    }
  });

  test("raw (not percent-encoded) in the request target and in a credential header → a clean 4xx", async () => {
    const host = new URL(target.url).host;
    const head = (target_: Buffer, auth: Buffer) =>
      json(
        "GET ",
        target_,
        ` HTTP/1.1\r\nhost: ${host}\r\nconnection: close\r\nauthorization: Bearer `,
        auth,
        "\r\n\r\n",
      );
    for (const bad of INVALID) {
      expectRawRefusal(
        await rawExchange(target.url, head(json("/account/keys/", bad), Buffer.from(target.alice.key))),
        [400, 404],
      );
      expectRawRefusal(
        await rawExchange(target.url, head(Buffer.from("/account"), json(target.alice.key.slice(0, 20), bad))),
        [400, 401],
      );
    }
    await expectHealthy(target.url);
  });
});
