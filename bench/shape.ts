/** What the fake upstream sends and the load generator expects: one definition for both. */
export const MODEL = "bench-model";
export const FLOOD_MODEL = "bench-flood";
export const PACE_MS = 20;
export const STREAM_CHUNKS = 64;
/** Content chunks, the usage chunk and `[DONE]`: the SSE events every paced stream delivers. */
export const STREAM_EVENTS = STREAM_CHUNKS + 2;
/** What one `FLOOD_MODEL` stream offers: more than the kernel's socket buffers on the way hold. */
export const FLOOD_BYTES = 64 * 1024 * 1024;
/** A gap longer than this in a paced stream counts as a stall. */
export const STALL_MS = 10 * PACE_MS;

const prompt = "Summarise the following paragraph in one sentence. ".repeat(4);

/** The client's request body: a short chat prompt; streams ask for usage so every path relays it. */
export function chatBody(model: string, stream: boolean): string {
  return JSON.stringify({
    model,
    messages: [{ role: "user", content: prompt }],
    max_tokens: 256,
    ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
  });
}
