import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { KEYS, providersToml, startGateway, type Gateway } from "../helpers/gateway";
import { startScriptedUpstream, type ScriptedUpstream } from "../helpers/scriptedUpstream";

let upstream: ScriptedUpstream;
let gw: Gateway;
beforeAll(async () => {
  upstream = startScriptedUpstream({ contentType: "text/event-stream", chunks: () => [][Symbol.iterator]() });
  gw = await startGateway(() => providersToml(upstream.url));
});
afterAll(async () => {
  await gw.close();
  await upstream.stop();
});
beforeEach(() => {
  gw.usage.events.length = 0;
});

const FORMATS: [string, string, Record<string, string>][] = [
  ["OpenAI chat", "/v1/chat/completions", { authorization: `Bearer ${KEYS.user}` }],
  ["OpenAI responses", "/v1/responses", { authorization: `Bearer ${KEYS.user}` }],
  ["Anthropic messages", "/v1/messages", { "x-api-key": KEYS.user }],
];

/** One streamed request against whatever the upstream is scripted to say; resolves with the whole relayed body. */
async function stream(
  path: string,
  headers: Record<string, string>,
  chunks: (Uint8Array | string)[],
): Promise<{ status: number; type: string | null; text: string }> {
  upstream.script = { contentType: "text/event-stream", chunks: () => chunks[Symbol.iterator]() };
  const res = await fetch(`${gw.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({
      model: "garbage",
      stream: true,
      max_tokens: 16,
      messages: [{ role: "user", content: "hi" }],
    }),
  });
  return { status: res.status, type: res.headers.get("content-type"), text: await res.text() };
}

const noise = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 131 + seed * 17) % 256);

const GARBAGE: [string, (Uint8Array | string)[]][] = [
  ["binary noise with NUL and 0xFF, no line ends", [noise(64 * 1024, 1), noise(1024, 2)]],
  [
    "broken lines: no data prefix, unclosed JSON, bare CRs",
    ["garbage\r\rmore\n", ":comment\n\n", "data: {not json\n\n", "event: \u0000\ndata: [1,2\n\n", "\r".repeat(10_000)],
  ],
  ["an HTML error page", ["<html><body><h1>502 Bad Gateway</h1></body></html>"]],
  [
    "JSON of the wrong shape",
    [
      'data: {"choices":"x","usage":"lots"}\n\n',
      "data: [1,2,3]\n\n",
      'event: message_delta\ndata: {"type":"message_delta","usage":null}\n\n',
      'data: {"type":"response.completed","response":7}\n\n',
    ],
  ],
  ["nothing at all", []],
];

describe("fault injection: garbage from the upstream under text/event-stream", () => {
  for (const [format, path, headers] of FORMATS) {
    test.each(GARBAGE)(`${format}: %s → relayed and ended cleanly, metered as estimated`, async (_, chunks) => {
      const { status, type, text } = await stream(path, headers, chunks);
      expect(status).toBe(200);
      expect(type).toContain("text/event-stream");
      const [event] = await gw.events(1);
      expect(event).toMatchObject({ estimated: true, status: 200, stream: true });
      // Unless a closing event of the format came through, the client's stream ends with the format's error event.
      if (event!.outcome !== "ok") expect(text).toMatch(/"(upstream_error|api_error)"/);
      expect(["ok", "upstream_error"]).toContain(event!.outcome);
      expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
    });
  }

  test("property: any bytes at all, in any chunking, end every format's stream cleanly and are metered as estimated", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...FORMATS),
        fc.array(fc.uint8Array({ maxLength: 4096 }), { maxLength: 6 }),
        async ([, path, headers], chunks) => {
          gw.usage.events.length = 0;
          const { status, text } = await stream(path, headers, chunks);
          expect(status).toBe(200);
          expect(text.length).toBeGreaterThan(0);
          const [event] = await gw.events(1);
          expect(event!.estimated).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe("fault injection: one gigantic SSE line (§3 content only in flight, memory bounded)", () => {
  test("a 256 MB single event is relayed whole while the gateway's memory stays flat; the usage after it is still read", async () => {
    const CHUNK = 64 * 1024;
    const CHUNKS = 4096;
    const filler = "y".repeat(CHUNK);
    upstream.produced = 0;
    const chunks = function* () {
      yield 'data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"';
      for (let i = 0; i < CHUNKS; i++) yield filler;
      yield '"}}]}\n\n';
      yield 'data: {"id":"c","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":11,"completion_tokens":7}}\n\n';
      yield "data: [DONE]\n\n";
    };
    upstream.script = { contentType: "text/event-stream", chunks };
    Bun.gc(true);
    const before = process.memoryUsage().rss;
    let peak = before;
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${KEYS.user}` },
      body: JSON.stringify({ model: "huge", stream: true, messages: [] }),
    });
    const reader = res.body!.getReader();
    let received = 0;
    let sampled = 0;
    let tail = "";
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      received += r.value.length;
      tail = (tail + new TextDecoder().decode(r.value.subarray(-64))).slice(-256);
      if (received - sampled > 16 * 1024 * 1024) {
        sampled = received;
        Bun.gc(true);
        peak = Math.max(peak, process.memoryUsage().rss);
      }
    }
    expect(received).toBeGreaterThan(CHUNK * CHUNKS);
    expect(tail).toContain("data: [DONE]");
    // Holding the event would cost 256 MB (twice over as text); the relay keeps only a small tail of it.
    expect(peak - before).toBeLessThan(64 * 1024 * 1024);
    const [event] = await gw.events(1);
    expect(event).toMatchObject({ outcome: "ok", estimated: false, inputTokens: 11, outputTokens: 7 });
  }, 20_000);
});
