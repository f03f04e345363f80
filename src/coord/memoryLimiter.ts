import type { Clock } from "../lib/clock";
import { rateHeaders } from "./rateHeaders";
import type { Admission, LimitReason, LimitSpec, LimitSubject, Limiter } from "./port";

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

const MINUTE_MS = 60_000;

/** The tokens a request reserves: its estimate, never more than one minute's worth. */
export const reservation = (spec: LimitSpec, estimatedTokens: number) =>
  spec.tpm > 0 ? Math.min(Math.max(0, estimatedTokens), spec.tpm) : 0;

export const retryAfterS = (waitMs: number) => Math.max(1, Math.ceil(waitMs / 1000));

/** Token buckets and concurrency slots of this process only, bounded to `maxSubjects`. */
export function createMemoryLimiter(clock: Clock, maxSubjects = 100_000): Limiter {
  const states = new Map<string, SubjectState>();

  const refill = (b: Bucket, limit: number, now: number) => {
    b.level = Math.min(limit, b.level + ((now - b.at) * limit) / MINUTE_MS);
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
    for (const [id, s] of states) if (s.inFlight === 0 && now - s.touched > MINUTE_MS) states.delete(id);
  };

  return {
    async admit(subjects: LimitSubject[], estimatedTokens: number): Promise<Admission> {
      const now = clock.now();
      const checked = subjects.map((sub) => ({ sub, state: stateOf(sub.id, sub.spec, now) }));
      const headers = () =>
        rateHeaders(
          checked.map(({ sub, state }) => ({
            spec: sub.spec,
            requests: state.requests.level,
            tokens: state.tokens.level,
          })),
        );
      for (const { sub, state } of checked) {
        const { rpm, tpm, concurrency } = sub.spec;
        const refusal = (reason: LimitReason, waitMs: number) => ({
          ok: false as const,
          reason,
          retryAfterS: retryAfterS(waitMs),
          headers: headers(),
        });
        if (rpm > 0 && state.requests.level < 1) return refusal("rpm", ((1 - state.requests.level) * MINUTE_MS) / rpm);
        const need = reservation(sub.spec, estimatedTokens);
        if (tpm > 0 && state.tokens.level < need)
          return refusal("tpm", ((need - state.tokens.level) * MINUTE_MS) / tpm);
        if (concurrency > 0 && state.inFlight >= concurrency) return refusal("concurrency", 1000);
      }
      const reservations = checked.map(({ sub, state }) => {
        const reserved = reservation(sub.spec, estimatedTokens);
        if (sub.spec.rpm > 0) state.requests.level -= 1;
        state.tokens.level -= reserved;
        state.inFlight++;
        return { state, reserved, limited: sub.spec.tpm > 0 };
      });
      let released = false;
      let settled = false;
      return {
        ok: true,
        headers: headers(),
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
