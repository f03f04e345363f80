import type { Clock } from "../lib/clock";
import type { KrioraError } from "../lib/errors";
import type { UsageEvent, UsageSink } from "../usage/sink";
import type { Failure } from "./failure";
import type { ProxyCall } from "./call";
import type { StreamEnd } from "./relayBody";
import { estimateTokens } from "./tokens";
import type { Metered } from "./watch";

/** Status recorded for a request whose client left before any answer (nginx's convention). */
const CLIENT_CLOSED = 499;

export interface UsageRecorder {
  /** Routing or policy refused the request; no provider was called. */
  refused(err: KrioraError): void;
  /** Every target failed before a byte reached the client. */
  failed(provider: string, failure: Failure, requestChars: number): void;
  /** A relayed response ended (completely, cut off, or abandoned by the client). */
  finished(provider: string, status: number, metered: Metered, end: StreamEnd): void;
}

/**
 * Turns what happened to one proxied request into its one UsageEvent: ids, counts and codes.
 * `errorCode` is the gateway's error code; `errorType` the provider's own error type when it
 * reported one. A client that left before any answer is charged the estimated input: the
 * provider had the prompt.
 */
export function startUsageEvent(sink: UsageSink, call: ProxyCall, clock: Clock): UsageRecorder {
  const started = performance.now();
  const { principal, body, endpoint, requestId, clientIp } = call;
  const base = {
    requestId,
    at: clock.now(),
    accountId: principal.accountId,
    keyId: principal.keyId,
    clientIp,
    model: body.model,
    endpoint: endpoint.name,
    stream: body.stream === true,
  };
  const record = (event: Omit<UsageEvent, keyof typeof base | "latencyMs">) =>
    sink.record({ ...base, ...event, latencyMs: Math.round(performance.now() - started) });
  return {
    refused(err) {
      record({
        provider: null,
        status: err.status,
        outcome: "refused",
        inputTokens: 0,
        outputTokens: 0,
        cachedInputTokens: 0,
        estimated: false,
        errorType: null,
        errorCode: err.code,
      });
    },
    failed(provider, failure, requestChars) {
      const aborted = failure.outcome === "client_abort";
      record({
        provider,
        status: aborted ? CLIENT_CLOSED : failure.error.status,
        outcome: failure.outcome,
        inputTokens: aborted ? estimateTokens(requestChars) : 0,
        outputTokens: 0,
        cachedInputTokens: 0,
        estimated: aborted,
        errorType: failure.upstreamType,
        errorCode: failure.error.code,
      });
    },
    finished(provider, status, metered, end) {
      const reported = end.outcome === "ok" && metered.upstreamError !== null;
      record({
        provider,
        status,
        outcome: reported ? "upstream_error" : end.outcome,
        inputTokens: metered.counts.input,
        outputTokens: metered.counts.output,
        cachedInputTokens: metered.counts.cached,
        estimated: metered.estimated,
        errorType: metered.upstreamError ?? end.failure?.upstreamType ?? null,
        errorCode: end.failure?.error.code ?? (reported ? "upstream_error" : null),
      });
    },
  };
}
