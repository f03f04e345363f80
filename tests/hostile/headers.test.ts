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
useHostileTarget((t) => (target = t));
beforeAll(async () => {
  host = new URL(target.url).host;
});

/** A request head as bytes, exactly as given: no client library normalises it on the way. */
const head = (requestLine: string, lines: string[]) =>
  `${requestLine}\r\nhost: ${host}\r\nconnection: close\r\n${lines.map((l) => `${l}\r\n`).join("")}\r\n`;
const chatBody = JSON.stringify({
  model: MODELS.anthropic,
  max_tokens: 8,
  messages: [{ role: "user", content: "hi" }],
});
const messages = (lines: string[]) =>
  head("POST /v1/messages HTTP/1.1", [
    `x-api-key: ${target.alice.key}`,
    "content-type: application/json",
    `content-length: ${chatBody.length}`,
    ...lines,
  ]) + chatBody;

/** The response's header names, lower-cased (the head up to the blank line). */
const headerNames = (text: string) =>
  text
    .split("\r\n\r\n")[0]!
    .split("\r\n")
    .slice(1)
    .map((l) => l.split(":")[0]!.toLowerCase());

describe("§9 hostile input: oversized headers", () => {
  const cases: [string, () => string][] = [
    ["one 200 KB header", () => head("GET /healthz HTTP/1.1", [`x-big: ${HOSTILE_CANARY}${"a".repeat(200_000)}`])],
    [
      "2,000 small headers",
      () =>
        head(
          "GET /healthz HTTP/1.1",
          Array.from({ length: 2_000 }, (_, i) => `x-h${i}: ${HOSTILE_CANARY}`),
        ),
    ],
    ["a 200 KB request target", () => head(`GET /healthz?q=${HOSTILE_CANARY}${"a".repeat(200_000)} HTTP/1.1`, [])],
    [
      "a 200 KB bearer token",
      () => head("GET /account HTTP/1.1", [`authorization: Bearer ${HOSTILE_CANARY}${"a".repeat(200_000)}`]),
    ],
  ];

  test.each(cases)(
    "%s → 431 (or the connection closed) from Bun before the app; the server stays healthy",
    async (_, request) => {
      expectRawRefusal(await rawExchange(target.url, request()), [431, 414, 400], true);
      await expectHealthy(target.url);
    },
  );
});

describe("§9 hostile input: header injection through a raw socket", () => {
  // Bun's parser answers these before the app: 400, or 505 for a request line cut before its version.
  const cases: [string, () => string, number[]?][] = [
    [
      "a bare CR inside a value",
      () => messages([`anthropic-version: 2023-06-01\rset-cookie: injected=${HOSTILE_CANARY}`]),
    ],
    [
      "a bare LF inside a value",
      () => messages([`anthropic-version: 2023-06-01\nset-cookie: injected=${HOSTILE_CANARY}`]),
    ],
    [
      "an obsolete line folding",
      () => messages(["anthropic-version: 2023-06-01", ` set-cookie: injected=${HOSTILE_CANARY}`]),
    ],
    ["a NUL byte inside a value", () => messages([`anthropic-beta: a\u0000${HOSTILE_CANARY}`])],
    ["a header name with a space", () => messages([`anthropic version : ${HOSTILE_CANARY}`])],
    [
      "CR LF smuggled in the request target",
      () => head(`GET /healthz\r\nset-cookie: injected=${HOSTILE_CANARY} HTTP/1.1`, []),
      [400, 505],
    ],
    [
      "two content-lengths that disagree",
      () =>
        head("POST /v1/messages HTTP/1.1", [
          `x-api-key: ${target.alice.key}`,
          "content-length: 5",
          "content-length: 50",
        ]) + "x".repeat(50),
    ],
    [
      "content-length and chunked together",
      () =>
        head("POST /v1/messages HTTP/1.1", ["content-length: 4", "transfer-encoding: chunked"]) +
        "0\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n",
    ],
  ];

  test.each(cases)(
    "%s → refused (or closed) before the app; no injected header comes back, nothing reaches the provider",
    async (_, request, statuses = [400]) => {
      const answer = await rawExchange(target.url, request());
      expectRawRefusal(answer, statuses, true);
      expect(headerNames(answer.text)).not.toContain("set-cookie");
      expect(target.fake.requests).toEqual([]);
      await expectHealthy(target.url);
    },
  );

  test("CR LF percent-encoded in the path is not decoded into the response head", async () => {
    const answer = await rawExchange(
      target.url,
      head(`GET /account/keys/x%0d%0aset-cookie:%20injected=${HOSTILE_CANARY} HTTP/1.1`, [
        `authorization: Bearer ${target.alice.key}`,
      ]),
    );
    expectRawRefusal(answer, [400, 404]);
    expect(headerNames(answer.text)).not.toContain("set-cookie");
  });

  test("control: the same request with clean headers reaches the provider, with only the allowed client headers", async () => {
    const answer = await rawExchange(
      target.url,
      messages(["anthropic-version: 2023-06-01", `anthropic-beta: tools-2024-04-04`, `x-injected: ${HOSTILE_CANARY}`]),
    );
    expect(answer.status).toBe(200);
    const seen = target.fake.requests.at(-1)!.headers;
    expect(seen.get("anthropic-beta")).toBe("tools-2024-04-04");
    expect(seen.get("x-injected")).toBeNull();
    expect(JSON.stringify([...seen])).not.toContain(HOSTILE_CANARY);
    target.fake.requests.length = 0;
  });
});

describe("§9 hostile input: the Host header never changes which route answers", () => {
  const get = (path: string, hostHeader: string) =>
    rawExchange(
      target.url,
      `GET ${path} HTTP/1.1\r\nhost: ${hostHeader}\r\nconnection: close\r\nauthorization: Bearer ${target.alice.key}\r\n\r\n`,
    );

  test("a Host with a path, a query, credentials, spaces or a bad port is a clean 400 before routing (it would have moved the route)", async () => {
    for (const name of [
      "evil.example/admin/accounts",
      "evil.example?x=/admin",
      "user:pass@evil.example",
      "a b",
      "a:99999",
      "[zz]",
      `${HOSTILE_CANARY}/x`,
    ]) {
      const answer = await get("/healthz", name);
      expectRawRefusal(answer, [400]);
      expect([name, answer.text]).toEqual([name, expect.stringContaining("The Host header is not a valid host name.")]);
      expect(answer.text.toLowerCase()).toContain("x-content-type-options: nosniff");
    }
    for (const name of [`${HOSTILE_CANARY}.example`, "a".repeat(300), "under_score:8080", "[::1]:80"])
      expect([name, (await get("/healthz", name)).status]).toEqual([name, 200]);
  });
});
