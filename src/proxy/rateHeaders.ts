import type { WireKind } from "./endpoints";
import { iso } from "../lib/clock";

const PREFIX = "x-ratelimit-";
/** `x-ratelimit-reset-*` durations as the limiter writes them: `120ms`, `5s`, `6m0s`. */
const DURATION = /^(?:(\d+)ms|(?:(\d+)m)?(\d+)s)$/;

/**
 * The gateway's rate-limit headers in the client's convention: OpenAI's `x-ratelimit-*` as they
 * are, or for Anthropic clients `anthropic-ratelimit-{requests,tokens}-{limit,remaining,reset}`
 * with the reset as an RFC 3339 time. Other headers (`retry-after`) pass unchanged.
 */
export function rateHeadersFor(kind: WireKind, headers: Record<string, string>, nowMs: number): Record<string, string> {
  if (kind === "openai") return headers;
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!name.startsWith(PREFIX)) {
      out[name] = value;
      continue;
    }
    const [field, dimension] = name.slice(PREFIX.length).split("-") as [string, string];
    out[`anthropic-ratelimit-${dimension}-${field}`] =
      field === "reset" ? iso(nowMs + durationMs(value)).replace(/\.\d{3}Z$/, "Z") : value;
  }
  return out;
}

function durationMs(text: string): number {
  const m = DURATION.exec(text);
  if (!m) return 0;
  return m[1] !== undefined ? Number(m[1]) : (Number(m[2] ?? 0) * 60 + Number(m[3])) * 1000;
}

/** Rewrites an error's headers in place into the client's convention. */
export function convertErrorHeaders(kind: WireKind, headers: Record<string, string>, nowMs: number): void {
  const converted = rateHeadersFor(kind, headers, nowMs);
  if (converted === headers) return;
  for (const name of Object.keys(headers)) delete headers[name];
  Object.assign(headers, converted);
}
