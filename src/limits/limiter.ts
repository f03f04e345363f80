import type { Clock } from "../lib/clock";

/** Per-minute limits; 0 means no limit on that dimension. */
export interface LimitSpec {
  rpm: number;
  tpm: number;
  concurrency: number;
}

/** What is limited: `key:<id>` or `account:<id>`, with its effective limits. */
export interface LimitSubject {
  id: string;
  spec: LimitSpec;
}

interface Lease {
  /** Replace the token reservation with the real count once usage is known. */
  settle(actualTokens: number): void;
  /** End of the request (idempotent): frees the concurrency slot. */
  release(): void;
}

type Admission =
  | { ok: true; lease: Lease; headers: Record<string, string> }
  | { ok: false; reason: "rpm" | "tpm" | "concurrency"; retryAfterS: number; headers: Record<string, string> };

/**
 * Admission control before the upstream call. Behind an interface so that several instances can
 * share one view (Redis/Valkey) later; this process's implementation keeps buckets in memory.
 */
export interface Limiter {
  admit(subjects: LimitSubject[], estimatedTokens: number): Promise<Admission>;
}

interface Bucket {
  level: number;
  at: number;
}

interface SubjectState {
  requests: Bucket;
  tokens: Bucket;
  inFlight: number;
  touched: number;
}

const MINUTE = 60_000;

/** Token buckets refilled continuously at limit/minute, holding at most one minute's worth. */
export function createMemoryLimiter(clock: Clock, maxSubjects = 100_000): Limiter {
  const states = new Map<string, SubjectState>();

  const refill = (b: Bucket, limit: number, now: number) => {
    b.level = Math.min(limit, b.level + ((now - b.at) * limit) / MINUTE);
    b.at = now;
  };
  const stateOf = (id: string, spec: LimitSpec, now: number): SubjectState => {
    let s = states.get(id);
    if (!s) {
      if (states.size >= maxSubjects) evictIdle(now);
      s = { requests: { level: spec.rpm, at: now }, tokens: { level: spec.tpm, at: now }, inFlight: 0, touched: now };
      states.set(id, s);
    }
    refill(s.requests, spec.rpm, now);
    refill(s.tokens, spec.tpm, now);
    s.touched = now;
    return s;
  };
  const evictIdle = (now: number) => {
    for (const [id, s] of states) if (s.inFlight === 0 && now - s.touched > MINUTE) states.delete(id);
  };

  return {
    async admit(subjects, estimatedTokens) {
      const now = clock.now();
      const checked = subjects.map((sub) => ({ sub, state: stateOf(sub.id, sub.spec, now) }));
      const reserve = (spec: LimitSpec) => Math.min(Math.max(0, estimatedTokens), spec.tpm);
      for (const { sub, state } of checked) {
        const { rpm, tpm, concurrency } = sub.spec;
        const refusal = (reason: "rpm" | "tpm" | "concurrency", waitMs: number) => ({
          ok: false as const,
          reason,
          retryAfterS: Math.max(1, Math.ceil(waitMs / 1000)),
          headers: rateHeaders(checked),
        });
        if (rpm > 0 && state.requests.level < 1) return refusal("rpm", ((1 - state.requests.level) * MINUTE) / rpm);
        const need = reserve(sub.spec);
        if (tpm > 0 && state.tokens.level < need) return refusal("tpm", ((need - state.tokens.level) * MINUTE) / tpm);
        if (concurrency > 0 && state.inFlight >= concurrency) return refusal("concurrency", 1000);
      }
      const reservations = checked.map(({ sub, state }) => {
        const reserved = sub.spec.tpm > 0 ? reserve(sub.spec) : 0;
        if (sub.spec.rpm > 0) state.requests.level -= 1;
        state.tokens.level -= reserved;
        state.inFlight++;
        return { state, reserved, limited: sub.spec.tpm > 0 };
      });
      let released = false;
      let settled = false;
      return {
        ok: true,
        headers: rateHeaders(checked),
        lease: {
          settle(actual) {
            if (settled) return;
            settled = true;
            for (const r of reservations) if (r.limited) r.state.tokens.level -= actual - r.reserved;
          },
          release() {
            if (released) return;
            released = true;
            for (const r of reservations) r.state.inFlight--;
          },
        },
      };
    },
  };
}

/** OpenAI-style `x-ratelimit-*` headers, from the most constrained subject on each dimension. */
function rateHeaders(checked: { sub: LimitSubject; state: SubjectState }[]): Record<string, string> {
  const headers: Record<string, string> = {};
  const tightest = (pick: (c: (typeof checked)[number]) => [number, number]) =>
    checked
      .map(pick)
      .filter(([limit]) => limit > 0)
      .sort((a, b) => a[1] / a[0] - b[1] / b[0])[0];
  const req = tightest(({ sub, state }) => [sub.spec.rpm, state.requests.level]);
  const tok = tightest(({ sub, state }) => [sub.spec.tpm, state.tokens.level]);
  if (req) Object.assign(headers, dimensionHeaders("requests", req[0], req[1]));
  if (tok) Object.assign(headers, dimensionHeaders("tokens", tok[0], tok[1]));
  return headers;
}

function dimensionHeaders(name: string, limit: number, level: number): Record<string, string> {
  const remaining = Math.max(0, Math.floor(level));
  const resetMs = ((limit - level) * MINUTE) / limit;
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
