import { beforeAll, describe, expect, test } from "bun:test";
import {
  expectHealthy,
  expectRawRefusal,
  HOSTILE_CANARY,
  MODELS,
  rawExchange,
  useHostileTarget,
  type HostileTarget,
} from "../helpers/hostile";

let target: HostileTarget;
let host: string;
let limit: number;
useHostileTarget((t) => (target = t));
beforeAll(async () => {
  host = new URL(target.url).host;
  limit = target.env.deps.config.server.max_body_bytes;
});

/** A chat body of exactly `bytes` bytes whose content is the canary, padded. */
function chatBody(bytes: number): string {
  const shell = JSON.stringify({ model: MODELS.openai, messages: [{ role: "user", content: HOSTILE_CANARY }] });
  return shell.replace(HOSTILE_CANARY, HOSTILE_CANARY + "a".repeat(bytes - shell.length));
}

const requestHead = (framing: string) =>
  `POST /v1/chat/completions HTTP/1.1\r\nhost: ${host}\r\nconnection: close\r\nauthorization: Bearer ${target.alice.key}\r\ncontent-type: application/json\r\n${framing}\r\n\r\n`;
const withLength = (body: string, length = Buffer.byteLength(body)) => requestHead(`content-length: ${length}`) + body;
const chunked = (body: string, chunk = 64 * 1024) => {
  const parts: string[] = [];
  for (let i = 0; i < body.length; i += chunk) {
    const piece = body.slice(i, i + chunk);
    parts.push(`${piece.length.toString(16)}\r\n${piece}\r\n`);
  }
  return requestHead("transfer-encoding: chunked") + parts.join("") + "0\r\n\r\n";
};

describe("§5 availability: request bodies over server.max_body_bytes, over a real socket", () => {
  test("control: a body of exactly the limit is relayed to the provider (so the refusals below are the limit's doing)", async () => {
    const answer = await rawExchange(target.url, withLength(chatBody(limit)), 5_000);
    expect(answer.status).toBe(200);
    expect(target.fake.requests.length).toBe(1);
    target.fake.requests.length = 0;
  });

  test("declared by content-length: 413 before the body is read; nothing reaches the provider", async () => {
    expectRawRefusal(await rawExchange(target.url, withLength(chatBody(limit + 1)), 5_000), [413]);
    expectRawRefusal(await rawExchange(target.url, withLength(chatBody(4 * limit)), 5_000), [413]);
    expect(target.fake.requests).toEqual([]);
    await expectHealthy(target.url);
  });

  test("without a content-length (chunked): 413 once the stream passes the limit; nothing reaches the provider", async () => {
    expectRawRefusal(await rawExchange(target.url, chunked(chatBody(limit + 1)), 5_000), [413], true);
    expectRawRefusal(await rawExchange(target.url, chunked(chatBody(4 * limit)), 5_000), [413], true);
    expect(target.fake.requests).toEqual([]);
    await expectHealthy(target.url);
  });

  test("a content-length that claims 10 GB is refused at once, without waiting for the bytes", async () => {
    const started = performance.now();
    expectRawRefusal(
      await rawExchange(target.url, requestHead("content-length: 10000000000") + "{", 5_000),
      [413, 400],
    );
    expect(performance.now() - started).toBeLessThan(1_000);
    await expectHealthy(target.url);
  });

  test("a content-length smaller than the body: the rest is a malformed next request, refused, never relayed", async () => {
    const body = chatBody(4096);
    const answer = await rawExchange(target.url, withLength(body, 10) + "\r\n", 5_000);
    expectRawRefusal(answer, [400]);
    expect(target.fake.requests).toEqual([]);
    await expectHealthy(target.url);
  });

  test("no usage is metered for a refused body", async () => {
    await target.env.deps.usageWriter.flush();
    const rows = target.env.deps.handle.sqlite.query("SELECT count(*) AS n FROM usage_events").get() as { n: number };
    expect(rows.n).toBe(1);
  });
});
