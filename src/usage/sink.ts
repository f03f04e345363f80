/** The model endpoints the proxy serves, as recorded in usage. */
export type Endpoint = "chat.completions" | "completions" | "embeddings" | "responses" | "messages";

/**
 * How a proxied request ended: `ok` (answered in full), `upstream_error` (the provider failed or
 * refused), `timeout` (a provider timeout fired), `client_abort` (the caller went away),
 * `refused` (policy or validation stopped it before any provider was called), `server_shutdown`
 * (still open when the shutdown grace period ran out).
 */
export type Outcome = "ok" | "upstream_error" | "timeout" | "client_abort" | "refused" | "server_shutdown";

/**
 * One proxied request, as metering sees it (SPEC "Minimal metadata"). Ids, counts and codes
 * only: never a prompt, a response, or an upstream error message (Policy §2, §3).
 * `inputTokens` counts every input token, cached ones included; `cachedInputTokens` is the part
 * read from the provider's prompt cache. `estimated` marks counts the gateway approximated
 * because the provider sent none (aborted or cut streams).
 */
export interface UsageEvent {
  requestId: string;
  /** Epoch milliseconds when the request arrived. */
  at: number;
  accountId: string;
  keyId: string | null;
  /** The caller's address, stored encrypted and erased after `retention.ip_days` (Policy §2). */
  clientIp?: string | null;
  /** The public model id asked for. */
  model: string;
  /** The provider that answered last; null when none was called. */
  provider: string | null;
  endpoint: Endpoint;
  stream: boolean;
  /** The HTTP status the client received. */
  status: number;
  outcome: Outcome;
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  estimated: boolean;
  latencyMs: number;
  /** The error's type and code (e.g. `api_error` / `upstream_error`); null on success. */
  errorType: string | null;
  errorCode: string | null;
}

/**
 * Where usage goes. `record` is on the request path: an implementation must return at once and
 * never throw (the batched database writer is usage/writer.ts).
 */
export interface UsageSink {
  record(event: UsageEvent): void;
}
