import type { LimitSpec } from "./port";

const MINUTE_MS = 60_000;

/** A subject's bucket levels right after an admission decision. */
interface SubjectLevels {
  spec: LimitSpec;
  requests: number;
  tokens: number;
}

/** OpenAI-style `x-ratelimit-*` headers, from the most constrained subject on each dimension. */
export function rateHeaders(levels: readonly SubjectLevels[]): Record<string, string> {
  const headers: Record<string, string> = {};
  const tightest = (pick: (l: SubjectLevels) => [number, number]) =>
    levels
      .map(pick)
      .filter(([limit]) => limit > 0)
      .sort((a, b) => a[1] / a[0] - b[1] / b[0])[0];
  const req = tightest((l) => [l.spec.rpm, l.requests]);
  const tok = tightest((l) => [l.spec.tpm, l.tokens]);
  if (req) Object.assign(headers, dimensionHeaders("requests", req[0], req[1]));
  if (tok) Object.assign(headers, dimensionHeaders("tokens", tok[0], tok[1]));
  return headers;
}

function dimensionHeaders(name: string, limit: number, level: number): Record<string, string> {
  const remaining = Math.max(0, Math.floor(level));
  const resetMs = ((limit - level) * MINUTE_MS) / limit;
  return {
    [`x-ratelimit-limit-${name}`]: String(limit),
    [`x-ratelimit-remaining-${name}`]: String(remaining),
    [`x-ratelimit-reset-${name}`]: formatDuration(resetMs),
  };
}

/** OpenAI's duration format: `1s`, `6m0s`, `120ms`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.ceil(ms))}ms`;
  const s = Math.ceil(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${s % 60}s`;
}
