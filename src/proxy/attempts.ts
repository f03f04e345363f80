import type { RoutingConfig } from "../config/schema";
import { KrioraError } from "../lib/errors";
import type { AttemptResult, Cooldowns } from "./cooldown";
import { clientGone, type Failure } from "./failure";
import type { Target } from "./routing";
import type { Attempt, Committed } from "./upstream";

/** Randomness and waiting for retries; tests pass a seeded random and a sleep that steps their clock. */
export interface RetryTiming {
  random(): number;
  /** Resolves after `ms`, or as soon as `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export const systemTiming: RetryTiming = {
  random: Math.random,
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener("abort", done, { once: true });
    }),
};

interface AttemptPlan {
  targets: Target[];
  routing: RoutingConfig;
  cooldowns: Cooldowns;
  timing: RetryTiming;
  /** The client's request signal: no retry is waited for once it aborts. */
  client: AbortSignal;
  attempt(target: Target): Promise<Attempt>;
  failed(target: Target, failure: Failure): void;
}

type PlanResult =
  | { ok: true; target: Target; committed: Committed }
  /** `target` is null when every deployment was cooling down and none was called. */
  | { ok: false; target: Target | null; failure: Failure };

/** Equal jitter: between half and all of `base × 2^retry`, capped at `backoff_max_ms`. */
export function backoffMs(retry: number, routing: RoutingConfig, random: number): number {
  const ceiling = Math.min(routing.backoff_max_ms, routing.backoff_base_ms * 2 ** retry);
  return Math.round(ceiling * (0.5 + random / 2));
}

/**
 * Try the targets in order until one answers, only ever before the first byte reached the client.
 * A deployment whose circuit is open is skipped. When all failed, wait (exponential backoff with
 * jitter, or the provider's `retry-after` when longer) and go round again, `routing.retries` times.
 * A `retry-after` longer than `max_retry_wait_ms` is not waited for: the client gets it instead.
 */
export async function runAttempts(plan: AttemptPlan): Promise<PlanResult> {
  const { targets, routing, cooldowns, timing, client } = plan;
  let last: { target: Target; failure: Failure } | null = null;
  for (let round = 0; round <= routing.retries; round++) {
    if (last) {
      const asked = last.failure.retryAfterMs;
      if (asked !== null && asked > routing.max_retry_wait_ms) break;
      await timing.sleep(Math.max(backoffMs(round - 1, routing, timing.random()), asked ?? 0), client);
      if (client.aborted) return { ok: false, target: last.target, failure: clientGone() };
    }
    for (const target of targets) {
      if (!cooldowns.acquire(target.key)) continue;
      let attempt: Attempt;
      try {
        attempt = await plan.attempt(target);
      } catch (err) {
        // A request refused before it was sent (e.g. untranslatable) says nothing about the deployment.
        cooldowns.settle(target.key, "neutral", null);
        throw err;
      }
      if (attempt.ok) {
        cooldowns.settle(target.key, "ok", null);
        return { ok: true, target, committed: attempt };
      }
      cooldowns.settle(target.key, resultOf(attempt.failure), attempt.failure.retryAfterMs);
      plan.failed(target, attempt.failure);
      last = { target, failure: attempt.failure };
      if (!attempt.failure.retry) return { ok: false, ...last };
    }
  }
  if (!last) return { ok: false, target: null, failure: coolingDown(cooldowns.reopensIn(targets.map((t) => t.key))) };
  if (last.failure.retryAfterMs !== null)
    last.failure.error.headers["retry-after"] = String(Math.ceil(last.failure.retryAfterMs / 1000));
  return { ok: false, ...last };
}

/** A client gone says nothing about the deployment; a refusal of the request itself shows it answering. */
function resultOf(failure: Failure): AttemptResult {
  if (failure.outcome === "client_abort") return "neutral";
  return failure.retry ? "failed" : "ok";
}

function coolingDown(waitMs: number): Failure {
  const error = new KrioraError(
    "unavailable",
    "Every deployment of this model is cooling down after repeated failures; retry later.",
    {
      headers: { "retry-after": String(Math.max(1, Math.ceil(waitMs / 1000))) },
    },
  );
  return { error, outcome: "refused", retry: false, upstreamStatus: null, upstreamType: null, retryAfterMs: waitMs };
}
