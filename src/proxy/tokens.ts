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

/** More tokens than any one request can hold: a provider reporting more is not believed. */
export const MAX_REPORTED_TOKENS = 1_000_000_000;

/**
 * A token count from a provider's usage object: a whole number from 0 to a billion, else 0 —
 * a malformed or absurd figure must not reach costs, balances or limits.
 */
export function count(value: unknown): number {
  return Number.isSafeInteger(value) && (value as number) > 0 && (value as number) <= MAX_REPORTED_TOKENS
    ? (value as number)
    : 0;
}
