import * as wire from "./fakeWire";
import type { ToolCall } from "./fakeWire";

/** What the fake answers to Anthropic's `count_tokens`. */
export const FAKE_COUNT_TOKENS = 42;

/** Planted in every upstream error message: it must never reach a client or a log line. */
export const UPSTREAM_CANARY = "CANARY-upstream-error-5d1e";

export interface SeenRequest {
  path: string;
  /** The query string, `?` included ("" when none). */
  query: string;
  model: string;
  headers: Headers;
  body: Record<string, any>;
  /** performance.now() when the gateway aborted this request; null while it has not. */
  abortedAt: number | null;
}

/** performance.now() when the gateway aborted `seen`, waiting up to `ms` for it; null if it never did. */
export async function abortedAt(seen: SeenRequest, ms = 2_000): Promise<number | null> {
  const deadline = Date.now() + ms;
  while (seen.abortedAt === null && Date.now() < deadline) await Bun.sleep(5);
  return seen.abortedAt;
}

export interface FakeUpstream {
  url: string;
  requests: SeenRequest[];
  /** The text every answer carries, split on spaces into stream chunks. */
  reply: string;
  /** The tool calls model `tools` makes. */
  toolCalls: ToolCall[];
  /** Bytes the `flood` stream has produced so far. */
  produced: number;
  /** Requests that reached `/redirected` (a followed redirect). */
  redirectHits: number;
  /** The ids `GET …/models` lists, and how many times it was asked. */
  models: string[];
  modelListHits: number;
  stop(): Promise<void>;
}

type Kind = "chat" | "completions" | "embeddings" | "responses" | "messages" | "gemini";

interface Pieces {
  head: string[];
  words: string[];
  delta(text: string, n: number): string;
  tail: string[];
  /** An in-stream error event whose message carries the canary. */
  error: string;
}

const encoder = new TextEncoder();
const until = (signal: AbortSignal) =>
  new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener("abort", () => resolve())));

/**
 * A model provider on loopback that speaks the OpenAI, Anthropic and Gemini wire formats (Gemini
 * reads the model from the path: `/models/{model}:generateContent` or `:streamGenerateContent`).
 * The model name picks a behaviour: `tools` (two tool calls, arguments streamed in pieces), `paced` (chunks 100 ms apart), `endless`, `flood` (64 KB chunks as fast as
 * the reader takes them), `cut` (connection dropped after 3 chunks), `cut-clean` (closed without
 * the closing event), `stall`, `hang`, `hang-body`, `stream-error` (and
 * `stream-error-unterminated`: the error event without its closing blank line), `huge-line`, `no-usage`,
 * `gzip`, `big-json` (a 270 KB answer), `redirect`, `fail-500`, `fail-429`, `fail-429-retry-2s` (with
 * `retry-after: 2`), `bad-400`; `GET …/models` lists `models`; any
 * other name answers normally.
 */
export function startFakeUpstream(): FakeUpstream {
  const fake: FakeUpstream = {
    url: "",
    requests: [],
    reply: "Hello from the fake upstream model",
    toolCalls: wire.TOOL_CALLS,
    produced: 0,
    redirectHits: 0,
    models: ["fake-chat", "fake-embed"],
    modelListHits: 0,
    stop: () => server.stop(true),
  };
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 0,
    async fetch(req) {
      const { pathname: path, search } = new URL(req.url);
      if (req.method === "GET" && path.endsWith("/models")) {
        fake.modelListHits++;
        return Response.json({
          object: "list",
          data: fake.models.map((id) => ({ id, object: "model", created: 0, owned_by: "fake", context_length: 8192 })),
        });
      }
      if (path === "/redirected") {
        fake.redirectHits++;
        return Response.json(wire.chatJson("redirected", fake.reply, false));
      }
      const body = (await req.json()) as Record<string, any>;
      const gemini = /\/models\/([^/:]+):(generate|streamGenerate)Content$/.exec(path);
      if (gemini) body.stream = gemini[2] === "streamGenerate";
      const model = gemini ? decodeURIComponent(gemini[1]!) : String(body.model);
      const seen: SeenRequest = { path, query: search, model, headers: req.headers, body, abortedAt: null };
      req.signal.addEventListener("abort", () => (seen.abortedAt = performance.now()));
      fake.requests.push(seen);
      return answer(fake, seen, req.signal);
    },
  });
  fake.url = `http://127.0.0.1:${server.port}`;
  return fake;
}

function kindOf(path: string): Kind {
  if (/:(generate|streamGenerate)Content$/.test(path)) return "gemini";
  const last = path.split("/").pop()!;
  return last === "completions" && path.endsWith("/chat/completions") ? "chat" : (last as Kind);
}

async function answer(fake: FakeUpstream, seen: SeenRequest, signal: AbortSignal): Promise<Response> {
  const { model, body } = seen;
  const kind = kindOf(seen.path);
  switch (model) {
    case "redirect":
      return new Response(null, { status: 302, headers: { location: `${fake.url}/redirected` } });
    case "fail-500":
      return Response.json(
        { error: { message: `internal failure ${UPSTREAM_CANARY}`, type: "server_error" } },
        { status: 500 },
      );
    case "fail-429":
      return Response.json(
        { error: { message: `slow down ${UPSTREAM_CANARY}`, type: "rate_limit_error" } },
        { status: 429 },
      );
    case "fail-429-retry-2s":
      return Response.json(
        { error: { message: `slow down ${UPSTREAM_CANARY}`, type: "rate_limit_error" } },
        { status: 429, headers: { "retry-after": "2" } },
      );
    case "bad-400":
      return Response.json(
        {
          error: {
            message: `Invalid prompt ${JSON.stringify(body)} ${UPSTREAM_CANARY}`,
            type: "invalid_request_error",
            code: "invalid_prompt",
          },
        },
        { status: 400 },
      );
    case "hang":
      await until(signal);
      return new Response(null, { status: 499 });
  }
  if (seen.path.endsWith("/messages/count_tokens")) return Response.json({ input_tokens: FAKE_COUNT_TOKENS });
  if (model === "tools") return toolAnswer(kind, model, body, fake.toolCalls);
  if (!body.stream) {
    const text = model === "big-json" ? fake.reply.repeat(8_000) : fake.reply;
    const json =
      kind === "gemini"
        ? wire.geminiJson(text)
        : kind === "embeddings"
          ? wire.embeddingsJson(model)
          : kind === "responses"
            ? wire.responsesJson(model, text)
            : kind === "messages"
              ? wire.messagesJson(model, text)
              : wire.chatJson(model, text, kind === "completions");
    if (model === "gzip")
      return new Response(Bun.gzipSync(JSON.stringify(json)), {
        headers: { "content-type": "application/json", "content-encoding": "gzip" },
      });
    return Response.json(json);
  }
  const pieces = piecesOf(kind, model, fake.reply, body.stream_options?.include_usage === true && model !== "no-usage");
  const headers = { "content-type": "text/event-stream", "cache-control": "no-cache" };
  if (model === "gzip")
    return new Response(Bun.gzipSync([...pieces.head, ...pieces.words.map(pieces.delta), ...pieces.tail].join("")), {
      headers: { ...headers, "content-encoding": "gzip" },
    });
  const chunks = deliver(model, pieces, signal, fake);
  return new Response(
    new ReadableStream({
      async pull(ctl) {
        const next = await chunks.next();
        if (next.done) ctl.close();
        else ctl.enqueue(encoder.encode(next.value));
      },
      async cancel() {
        await chunks.return(undefined);
      },
    }),
    { headers },
  );
}

/** Model `tools`: two tool calls in one turn, whole or streamed one piece per chunk. */
function toolAnswer(kind: Kind, model: string, body: Record<string, any>, calls: ToolCall[]): Response {
  if (!body.stream)
    return Response.json(
      kind === "gemini"
        ? wire.geminiToolJson(calls)
        : kind === "messages"
          ? wire.messagesToolJson(model, calls)
          : wire.chatToolJson(model, calls),
    );
  const events =
    kind === "gemini"
      ? wire.geminiToolStream(calls)
      : kind === "messages"
        ? wire.messagesToolStream(model, calls)
        : wire.chatToolStream(model, body.stream_options?.include_usage === true, calls);
  const chunks = events.values();
  return new Response(
    new ReadableStream({
      pull(ctl) {
        const next = chunks.next();
        if (next.done) ctl.close();
        else ctl.enqueue(encoder.encode(next.value));
      },
    }),
    { headers: { "content-type": "text/event-stream" } },
  );
}

function piecesOf(kind: Kind, model: string, reply: string, usage: boolean): Pieces {
  const words = reply.split(/(?<= )/);
  switch (kind) {
    case "responses":
      return {
        head: [wire.responsesStart(model)],
        words,
        delta: wire.responsesDelta,
        tail: [wire.responsesEnd(model, reply)],
        error: wire.sse({ type: "error", code: "server_error", message: UPSTREAM_CANARY }, "error"),
      };
    case "gemini":
      return {
        head: [],
        words,
        delta: wire.geminiChunk,
        tail: [wire.geminiEnd()],
        error: wire.sse({ error: { code: 500, message: UPSTREAM_CANARY, status: "INTERNAL" } }),
      };
    case "messages":
      return {
        head: [wire.messagesStart(model)],
        words,
        delta: wire.messagesDelta,
        tail: [wire.messagesEnd()],
        error: wire.sse({ type: "error", error: { type: "overloaded_error", message: UPSTREAM_CANARY } }, "error"),
      };
    default: {
      const completions = kind === "completions";
      return {
        head: [],
        words,
        delta: (text) => wire.chatChunk(model, text, completions),
        tail: [wire.chatEnd(model, usage)],
        error: wire.sse({ error: { message: UPSTREAM_CANARY, type: "server_error" } }),
      };
    }
  }
}

async function* deliver(mode: string, p: Pieces, signal: AbortSignal, fake: FakeUpstream): AsyncGenerator<string> {
  const all = [...p.head, ...p.words.map(p.delta), ...p.tail];
  switch (mode) {
    case "paced":
      for (const piece of all) {
        yield piece;
        await Bun.sleep(100);
      }
      return;
    case "endless":
      yield* p.head;
      for (let n = 0; ; n++) {
        yield p.delta(p.words[n % p.words.length]!, n);
        await Bun.sleep(20);
      }
    case "flood": {
      const big = p.delta("x".repeat(64 * 1024), 0);
      for (;;) {
        fake.produced += big.length;
        yield big;
      }
    }
    case "cut":
      for (const piece of all.slice(0, 3)) {
        yield piece;
        await Bun.sleep(30);
      }
      throw new Error("fake upstream drops the connection here, as the test intends");
    case "cut-clean":
      yield* all.slice(0, 3);
      return;
    case "stall":
      yield* all.slice(0, 3);
      await until(signal);
      return;
    case "hang-body":
      await until(signal);
      return;
    case "stream-error":
      yield* all.slice(0, 3);
      yield p.error;
      return;
    case "stream-error-unterminated":
      yield* all.slice(0, 3);
      yield p.error.trimEnd();
      return;
    case "huge-line":
      yield* p.head;
      yield p.delta("y".repeat(3 * 1024 * 1024), 0);
      yield* all.slice(p.head.length);
      return;
    default:
      yield* all;
  }
}
