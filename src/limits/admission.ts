import type { Principal } from "../auth/principal";
import type { Billing } from "../billing/billing";
import type { Config } from "../config/schema";
import type { Clock } from "../lib/clock";
import { KrioraError } from "../lib/errors";
import { formatUsd } from "../lib/money";
import type { GatewayMetrics } from "../metrics/gateway";
import type { SpendTracker } from "../usage/spend";
import type { AbuseControls } from "./abuse";
import type { Limiter, LimitSubject } from "./limiter";

/** The request-time controls admission reads and counts into. */
interface AdmissionControls {
  limiter: Limiter;
  spend: SpendTracker;
  abuse: AbuseControls;
  metrics: GatewayMetrics;
}

export interface Admitted {
  /** `x-ratelimit-*` headers for the response. */
  headers: Record<string, string>;
  /** The request ended with this many tokens: settle the reservation and free the slot. */
  finish(tokens: number): void;
}

interface AdmissionRequest {
  principal: Principal;
  clientIp: string | null;
  /** The request body's size, for the token reservation (≈ 4 characters a token). */
  bodyBytes: number;
  /** The output the client asked for at most (`max_tokens` and its kin), if any. */
  maxOutputTokens: number;
}

export type Admission = (req: AdmissionRequest) => Promise<Admitted>;

/**
 * Everything that may refuse a model request before the upstream is called (Policy §5): the
 * prepaid balance, the monthly spend cap, then requests, tokens and concurrency per key and
 * per account. Tokens are reserved from an estimate and settled with the real count after.
 */
export function createAdmission(
  deps: AdmissionControls & { config: Readonly<Config>; clock: Clock; billing: Pick<Billing, "admit"> },
): Admission {
  const { limits } = deps.config;
  const { limiter, spend, abuse, metrics } = deps;
  const budgetMicros = Math.round(limits.monthly_budget_usd * 1_000_000);

  const overBudget = (who: string, micros: number, now: number) => {
    metrics.limitsHit.inc({ status: "budget" });
    return new KrioraError("budget_exceeded", `${who} has reached its monthly budget of $${formatUsd(micros)}.`, {
      headers: { "retry-after": String(Math.ceil((nextMonthUtc(now) - now) / 1000)) },
    });
  };

  return async ({ principal, clientIp, bodyBytes, maxOutputTokens }) => {
    const refusal = await deps.billing.admit(principal.accountId);
    if (refusal) {
      metrics.limitsHit.inc({ status: "balance" });
      throw refusal;
    }
    const now = deps.clock.now();
    if (budgetMicros > 0 && (await spend.spent(principal.accountId, now)) >= budgetMicros)
      throw overBudget("This account", budgetMicros, now);
    const keyBudget = principal.policy.monthlyBudgetMicros;
    if (
      principal.keyId &&
      keyBudget !== null &&
      (await spend.keySpent(principal.accountId, principal.keyId, now)) >= keyBudget
    )
      throw overBudget("This key", keyBudget, now);
    if (principal.keyId && clientIp) await abuse.keyUsed(principal.keyId, clientIp);

    const subjects: LimitSubject[] = [
      {
        id: `account:${principal.accountId}`,
        spec: { rpm: limits.rpm, tpm: limits.tpm, concurrency: limits.concurrency },
      },
    ];
    const { rpm, tpm } = principal.policy;
    if (principal.keyId && (rpm !== null || tpm !== null))
      subjects.push({
        id: `key:${principal.keyId}`,
        spec: { rpm: rpm ?? limits.rpm, tpm: tpm ?? limits.tpm, concurrency: 0 },
      });
    const admission = await limiter.admit(subjects, Math.ceil(bodyBytes / 4) + maxOutputTokens);
    if (!admission.ok) {
      metrics.limitsHit.inc({ status: admission.reason });
      throw new KrioraError("rate_limited", limitMessage[admission.reason], {
        headers: { ...admission.headers, "retry-after": String(admission.retryAfterS) },
      });
    }
    const { lease } = admission;
    return {
      headers: admission.headers,
      finish(tokens) {
        lease.settle(tokens);
        lease.release();
      },
    };
  };
}

const limitMessage = {
  rpm: "Rate limit reached: too many requests per minute.",
  tpm: "Rate limit reached: too many tokens per minute.",
  concurrency: "Rate limit reached: too many requests in flight.",
} as const;

function nextMonthUtc(ms: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

/** The largest output a request asks for, under any of the providers' names for it. */
export function requestedOutputTokens(body: Record<string, unknown>): number {
  for (const name of ["max_tokens", "max_completion_tokens", "max_output_tokens"]) {
    const v = body[name];
    if (typeof v === "number" && Number.isFinite(v) && v > 0) return Math.min(Math.floor(v), 1_000_000);
  }
  return 0;
}
