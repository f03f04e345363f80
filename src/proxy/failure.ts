import { KrioraError } from "../lib/errors";
import type { Outcome } from "../usage/sink";

export type TimeoutKind = "connect" | "first_byte" | "idle" | "total";

/**
 * Why an upstream attempt failed, in words safe to show and log: statuses, timeout kinds and
 * the provider's error *type/code* (allowlisted tokens), never the provider's error message,
 * which may quote the prompt (Policy §3).
 */
export interface Failure {
  error: KrioraError;
  outcome: Outcome;
  /** Whether the next target may be tried (only ever before the first byte reached the client). */
  retry: boolean;
  upstreamStatus: number | null;
  upstreamType: string | null;
  /** How long the provider asked the gateway to wait (`retry-after`), if it said. */
  retryAfterMs: number | null;
}

/** A provider's error type or code when it is a plain identifier; anything else is dropped. */
export function safeToken(value: unknown): string | null {
  return typeof value === "string" && /^[A-Za-z][\w.-]{0,63}$/.test(value) ? value : null;
}

function detail(status: number, type: string | null, code: string | null): string {
  return [`HTTP ${status}`, type, code].filter(Boolean).join(", ");
}

/** A non-2xx answer from the provider. 4xx other than 401/403/404/408/429 is the request's own fault: no failover. */
export function statusFailure(
  status: number,
  type: string | null,
  code: string | null,
  retryAfterMs: number | null = null,
): Failure {
  const d = detail(status, type, code);
  const make = (error: KrioraError, retry: boolean): Failure => ({
    error,
    retry,
    outcome: "upstream_error",
    upstreamStatus: status,
    upstreamType: type,
    retryAfterMs,
  });
  if (status >= 300 && status < 400)
    return make(
      new KrioraError(
        "upstream_error",
        `The provider answered with a redirect, which the gateway never follows (${d}).`,
      ),
      true,
    );
  if (status === 401 || status === 403)
    return make(new KrioraError("upstream_error", `The provider refused the gateway's credentials (${d}).`), true);
  if (status === 404)
    return make(new KrioraError("not_found", `The provider does not serve this model or endpoint (${d}).`), true);
  if (status === 408) return make(new KrioraError("upstream_timeout", `The provider timed out (${d}).`), true);
  if (status === 429)
    return make(
      new KrioraError("rate_limited", `The provider is rate limiting the gateway; retry later (${d}).`),
      true,
    );
  if (status === 413)
    return make(new KrioraError("payload_too_large", `The provider found the request too large (${d}).`), false);
  if (status < 500)
    return make(new KrioraError("invalid_request", `The provider rejected the request as invalid (${d}).`), false);
  return make(new KrioraError("upstream_error", `The provider failed (${d}).`), true);
}

const timeoutWords: Record<TimeoutKind, string> = {
  connect: "could not be connected to within the connect timeout",
  first_byte: "sent nothing within the first-byte timeout",
  idle: "stopped sending for longer than the idle timeout",
  total: "did not finish within the total timeout",
};

export function timeoutFailure(kind: TimeoutKind): Failure {
  return {
    error: new KrioraError("upstream_timeout", `The provider ${timeoutWords[kind]}.`),
    outcome: "timeout",
    retry: kind !== "total",
    upstreamStatus: null,
    upstreamType: null,
    retryAfterMs: null,
  };
}

/** The connection failed or broke (refused, reset, DNS, TLS, a stream cut short). */
export function networkFailure(midStream: boolean): Failure {
  const message = midStream
    ? "The provider's stream broke off before it was complete."
    : "The provider could not be reached.";
  return {
    error: new KrioraError("upstream_error", message),
    outcome: "upstream_error",
    retry: !midStream,
    upstreamStatus: null,
    upstreamType: null,
    retryAfterMs: null,
  };
}

/** The server stopped while the request was still open (`server.shutdown_grace_s` ran out). */
export function serverShutdown(): Failure {
  return {
    error: new KrioraError("unavailable", "The server is shutting down; retry the request."),
    outcome: "server_shutdown",
    retry: false,
    upstreamStatus: null,
    upstreamType: null,
    retryAfterMs: null,
  };
}

/** The client went away; nothing more is sent anywhere. */
export function clientGone(): Failure {
  return {
    error: new KrioraError("unavailable", "The request was cancelled by the client."),
    outcome: "client_abort",
    retry: false,
    upstreamStatus: null,
    upstreamType: null,
    retryAfterMs: null,
  };
}

/**
 * The wait a provider asked for: `retry-after-ms` (OpenAI, Azure), else `retry-after` in seconds
 * or as an HTTP date. Null when absent or unreadable.
 */
export function retryAfterMs(headers: Headers, nowMs: number): number | null {
  const ms = Number(headers.get("retry-after-ms") ?? Number.NaN);
  if (Number.isFinite(ms) && ms >= 0) return Math.ceil(ms);
  const value = headers.get("retry-after")?.trim();
  if (!value) return null;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.ceil(Number(value) * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - nowMs);
}
