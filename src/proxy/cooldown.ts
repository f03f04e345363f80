import type { RoutingConfig } from "../config/schema";
import type { Clock } from "../lib/clock";
import { InsertionOrderedMap } from "../lib/insertionOrderedMap";

/** How an attempt at a deployment went, for its circuit. */
export type AttemptResult = "ok" | "failed" | "neutral";

export interface Cooldowns {
  /**
   * Whether a request may try this deployment now: its circuit is closed, or its cooldown is over
   * and no other request is probing it (the caller then is the half-open probe).
   */
  acquire(key: string): boolean;
  /** The attempt's result: success closes the circuit, a failure counts (or re-opens it), neutral only ends a probe. */
  settle(key: string, result: AttemptResult, retryAfterMs: number | null): void;
  /** Milliseconds until the first of these deployments may be tried again. */
  reopensIn(keys: string[]): number;
}

interface Health {
  failures: number;
  /** Epoch ms until which the deployment is skipped (its cooldown, or the provider's `retry-after`). */
  openUntil: number;
  /** The circuit opened on repeated failures: once its cooldown is over, one probe goes first. */
  tripped: boolean;
  probing: boolean;
}

/** Failing deployments remembered at most (env-only mode passes any model name through). */
const MAX_TRACKED = 10_000;

/**
 * A circuit breaker per deployment, in this process's memory: after `cooldown_failures`
 * consecutive failures (5xx, 429, timeouts, refused connections) the deployment is skipped for
 * `cooldown_s`, or for as long as the provider's `retry-after` asked if that is longer; then one
 * request probes it (half-open) and its result closes the circuit or opens it again. A provider's
 * `retry-after` alone also skips the deployment until then.
 */
export function createCooldowns(routing: RoutingConfig, clock: Clock): Cooldowns {
  const health = new InsertionOrderedMap<string, Health>();
  const cooldownMs = routing.cooldown_s * 1000;
  return {
    acquire(key) {
      const h = health.get(key);
      if (!h) return true;
      if (clock.now() < h.openUntil) return false;
      if (!h.tripped) return true;
      if (h.probing) return false;
      h.probing = true;
      return true;
    },
    settle(key, result, retryAfterMs) {
      const h = health.get(key);
      if (result === "ok") return void health.delete(key);
      if (result === "neutral") {
        if (h) h.probing = false;
        return;
      }
      const now = clock.now();
      const next = h ?? { failures: 0, openUntil: 0, tripped: false, probing: false };
      next.failures++;
      next.probing = false;
      next.tripped ||= next.failures >= routing.cooldown_failures;
      if (next.tripped) next.openUntil = now + Math.max(cooldownMs, retryAfterMs ?? 0);
      else if (retryAfterMs) next.openUntil = now + retryAfterMs;
      if (!h) track(key, next);
    },
    reopensIn(keys) {
      const now = clock.now();
      return Math.min(...keys.map((k) => Math.max(0, (health.get(k)?.openUntil ?? now) - now)));
    },
  };

  function track(key: string, h: Health) {
    if (health.size >= MAX_TRACKED) health.deleteOldest();
    health.set(key, h);
  }
}
