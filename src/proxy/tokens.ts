/** Token counts of one request. `input` includes cached input; `cached` is the part read from cache. */
export interface TokenCounts {
  input: number;
  output: number;
  cached: number;
}

/**
 * The documented approximation used when a provider sends no usage (aborted or cut streams):
 * one token per four characters, rounded up — OpenAI's rule of thumb for English text. Input is
 * estimated from the request body as sent upstream, output from the text relayed to the client.
 */
export function estimateTokens(chars: number): number {
  return Math.ceil(chars / 4);
}

/** A non-negative integer field of a provider's usage object, 0 when absent or malformed. */
export function count(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}
