/**
 * Bun's `fetch` runs at most 256 requests at once unless `BUN_CONFIG_MAX_HTTP_REQUESTS` is in the
 * environment when the process starts (setting it later has no effect). Past that, streams would
 * queue inside `fetch` while their first-byte timers run, so `serve` says so at start; `npm start`
 * sets it, and the README tells how to set it for the binary.
 */
export const UPSTREAM_SLOTS_ENV = "BUN_CONFIG_MAX_HTTP_REQUESTS";

/** Concurrent upstream requests this process can make. */
export function upstreamSlots(env: Record<string, string | undefined>): number {
  const n = Number(env[UPSTREAM_SLOTS_ENV]);
  return Number.isInteger(n) && n > 0 ? n : 256;
}
