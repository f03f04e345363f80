import type { Principal } from "../auth/principal";
import type { Billing } from "../billing/billing";
import type { Config } from "../config/schema";
import type { Limiter, LimitSubject } from "../coord/port";
import type { Clock } from "../lib/clock";
import { KrioraError } from "../lib/errors";
import { formatUsd } from "../lib/money";
import type { GatewayMetrics } from "../metrics/gateway";
import { costMicros, priceList } from "../usage/cost";
import type { SpendTracker } from "../usage/spend";
import type { AbuseControls } from "./abuse";

/** The request-time controls admission reads and counts into. */
interface AdmissionControls {
  coord: { limiter: Limiter };
  spend: SpendTracker;
  abuse: AbuseControls;
  metrics: GatewayMetrics;
}

/** What a request used, as its usage record says (nothing for a call that generates nothing). */
interface Used {
  model: string;
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
}

export interface Admitted {
  /** `x-ratelimit-*` headers for the response. */
  headers: Record<string, string>;
  /** The request ended having used this: settle the token reservation and the prepaid hold, free the slot. */
  finish(used: Used | null): void;
}

interface AdmissionRequest {
  /** Names the request's prepaid hold (one per request). */
  requestId: string;
  /** The model asked for: its prices size the prepaid hold. */
  model: string;
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
 * monthly spend caps, the prepaid balance, then requests, tokens and concurrency per key and
 * per account. Tokens and the prepaid cost are reserved from an estimate and settled with the
 * real count after. With Redis a spend or balance check that cannot be made refuses the request
 * (503 `coordination_unavailable`): budgets fail closed.
 */
export function createAdmission(
  deps: AdmissionControls & {
    config: Readonly<Config>;
    clock: Clock;
    billing: Pick<Billing, "admit" | "settle">;
  },
): Admission {
  const { limits } = deps.config;
  const { spend, abuse, metrics } = deps;
  const { limiter } = deps.coord;
  const budgetMicros = Math.round(limits.monthly_budget_usd * 1_000_000);

  const overBudget = (who: string, micros: number, now: number) => {
    metrics.limitsHit.inc({ status: "budget" });
    return new KrioraError("budget_exceeded", `${who} has reached its monthly budget of $${formatUsd(micros)}.`, {
      headers: { "retry-after": String(Math.ceil((nextMonthUtc(now) - now) / 1000)) },
    });
  };

  const pricesFor = priceList(deps.config.models);
  const cost = (model: string, used: Omit<Used, "model">) => {
    const prices = pricesFor(model);
    return prices ? costMicros(used, prices) : 0;
  };

  return async ({ requestId, model, principal, clientIp, bodyBytes, maxOutputTokens }) => {
    const { accountId } = principal;
    const now = deps.clock.now();
    if (budgetMicros > 0 && (await spend.spent(accountId, now)) >= budgetMicros)
      throw overBudget("This account", budgetMicros, now);
    const keyBudget = principal.policy.monthlyBudgetMicros;
    if (principal.keyId && keyBudget !== null && (await spend.keySpent(accountId, principal.keyId, now)) >= keyBudget)
      throw overBudget("This key", keyBudget, now);
    const estimate = { inputTokens: Math.ceil(bodyBytes / 4), outputTokens: maxOutputTokens, cachedInputTokens: 0 };
    const refusal = await deps.billing.admit(accountId, requestId, cost(model, estimate));
    if (refusal) {
      metrics.limitsHit.inc({ status: "balance" });
      throw refusal;
    }
    // Counted while the limits are checked (both are a round trip with Redis), done before the answer.
    const counted = principal.keyId && clientIp ? abuse.keyUsed(principal.keyId, clientIp) : null;

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
    const admission = await limiter.admit(subjects, estimate.inputTokens + estimate.outputTokens).catch((err) => {
      deps.billing.settle(accountId, requestId, 0);
      throw err;
    });
    // What was reserved above is given back when the count fails (Redis gone in between): a hold
    // or a slot left behind would refuse the account's next requests until its lease ran out.
    await counted?.catch((err) => {
      deps.billing.settle(accountId, requestId, 0);
      if (admission.ok) admission.lease.release();
      throw err;
    });
    if (!admission.ok) {
      deps.billing.settle(accountId, requestId, 0);
      metrics.limitsHit.inc({ status: admission.reason });
      throw new KrioraError("rate_limited", limitMessage[admission.reason], {
        headers: { ...admission.headers, "retry-after": String(admission.retryAfterS) },
      });
    }
    const { lease } = admission;
    return {
      headers: admission.headers,
      finish(used) {
        deps.billing.settle(accountId, requestId, used ? cost(used.model, used) : 0);
        lease.settle(used ? used.inputTokens + used.outputTokens : 0);
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
