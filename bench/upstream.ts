/**
 * The fake model provider the benchmarks run against, in its own process so it never shares
 * an event loop with what is measured. OpenAI chat-completions wire format:
 * - `stream` false: an instant ~1.4 KB JSON completion with usage;
 * - `stream` true: 64 content chunks, the first at once and then 20 ms apart, then the usage
 *   chunk and `[DONE]`; every chunk carries `sent` and `received` (this process's wall clock in ms
 *   when it sent the chunk and when the request arrived), so a client can tell the path's delays
 *   from the pacing;
 * - model `bench-flood`, streamed: 16 KB events as fast as the reader takes them (up to FLOOD_BYTES),
 *   counted in `GET /stats` so a run can see how far backpressure reached.
 * Prints `{"url": …}` on its first stdout line.
 */
import { serveOnLoopback } from "./procs";
import { FLOOD_BYTES, FLOOD_MODEL, PACE_MS, STREAM_CHUNKS } from "./shape";

const encoder = new TextEncoder();
const FLOOD_EVENT = 16 * 1024;
const usage = {
  prompt_tokens: 57,
  completion_tokens: 212,
  total_tokens: 269,
  prompt_tokens_details: { cached_tokens: 0 },
};
const now = () => performance.timeOrigin + performance.now();
const sse = (data: unknown) => encoder.encode(`data: ${JSON.stringify(data)}\n\n`);
let produced = 0;

const completion = JSON.stringify({
  id: "chatcmpl-bench",
  object: "chat.completion",
  created: 1_700_000_000,
  model: "bench-model",
  system_fingerprint: "fp_bench",
  choices: [
    {
      index: 0,
      message: {
        role: "assistant",
        content: "All work and no play makes a benchmark dull. ".repeat(22),
        refusal: null,
      },
      logprobs: null,
      finish_reason: "stop",
    },
  ],
  usage,
});

const head = (model: string, received: number) => ({
  sent: now(),
  received,
  id: "chatcmpl-bench",
  object: "chat.completion.chunk",
  created: 1_700_000_000,
  model,
});
const content = (model: string, received: number, text: string) =>
  sse({ ...head(model, received), choices: [{ index: 0, delta: { content: text }, finish_reason: null }] });

function paced(model: string, received: number): ReadableStream<Uint8Array> {
  let n = 0;
  return new ReadableStream({
    async pull(ctl) {
      if (n > 0) await Bun.sleep(PACE_MS);
      if (n < STREAM_CHUNKS) {
        ctl.enqueue(content(model, received, `token${n} `));
        n++;
        return;
      }
      ctl.enqueue(
        encoder.encode(`data: ${JSON.stringify({ ...head(model, received), choices: [], usage })}\n\ndata: [DONE]\n\n`),
      );
      ctl.close();
    },
  });
}

function flood(model: string): ReadableStream<Uint8Array> {
  const event = content(model, now(), "x".repeat(FLOOD_EVENT));
  let sent = 0;
  return new ReadableStream({
    pull(ctl) {
      if (sent >= FLOOD_BYTES) return ctl.close();
      ctl.enqueue(event);
      sent += event.length;
      produced += event.length;
    },
  });
}

serveOnLoopback(async (req) => {
  const received = now();
  if (req.method === "GET") return Response.json({ produced });
  const body = (await req.json()) as { model?: string; stream?: boolean };
  const model = String(body.model);
  if (!body.stream) return new Response(completion, { headers: { "content-type": "application/json" } });
  const stream = model === FLOOD_MODEL ? flood(model) : paced(model, received);
  return new Response(stream, { headers: { "content-type": "text/event-stream", "cache-control": "no-cache" } });
});
