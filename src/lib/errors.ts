/**
 * The one error type of the product. A service refuses by throwing a KrioraError (its code
 * says why); the HTTP edge maps it to the wire shapes in SPEC and the CLI to an exit message.
 * Results returned as values (`{ ok: false, … }`) are for outcomes the caller chooses between
 * (a limiter's verdict, an upstream attempt, an audit verification), never for an ErrorCode.
 * A message here must never contain request content: it is shown to clients as is.
 */
type ErrorCode =
  | "invalid_request"
  | "invalid_json"
  | "payload_too_large"
  | "request_timeout"
  | "unsupported_media_type"
  | "unauthenticated"
  | "forbidden"
  | "not_found"
  | "method_not_allowed"
  | "conflict"
  | "rate_limited"
  | "payment_required"
  | "budget_exceeded"
  | "policy_violation"
  | "upstream_error"
  | "upstream_timeout"
  | "unavailable"
  | "coordination_unavailable"
  | "internal";

const statusByCode: Record<ErrorCode, number> = {
  invalid_request: 400,
  invalid_json: 400,
  payload_too_large: 413,
  request_timeout: 408,
  unsupported_media_type: 415,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  rate_limited: 429,
  payment_required: 402,
  budget_exceeded: 402,
  policy_violation: 422,
  upstream_error: 502,
  upstream_timeout: 504,
  unavailable: 503,
  coordination_unavailable: 503,
  internal: 500,
};

/** OpenAI's `error.type` vocabulary, so SDKs raise their matching exception classes. */
const openAITypeByCode: Record<ErrorCode, string> = {
  invalid_request: "invalid_request_error",
  invalid_json: "invalid_request_error",
  payload_too_large: "invalid_request_error",
  request_timeout: "invalid_request_error",
  unsupported_media_type: "invalid_request_error",
  unauthenticated: "authentication_error",
  forbidden: "permission_error",
  not_found: "not_found_error",
  method_not_allowed: "invalid_request_error",
  conflict: "invalid_request_error",
  rate_limited: "rate_limit_error",
  payment_required: "insufficient_quota",
  budget_exceeded: "insufficient_quota",
  policy_violation: "invalid_request_error",
  upstream_error: "api_error",
  upstream_timeout: "api_error",
  unavailable: "api_error",
  coordination_unavailable: "api_error",
  internal: "api_error",
};

/** Anthropic's `error.type` vocabulary. */
const anthropicTypeByCode: Record<ErrorCode, string> = {
  invalid_request: "invalid_request_error",
  invalid_json: "invalid_request_error",
  payload_too_large: "request_too_large",
  request_timeout: "invalid_request_error",
  unsupported_media_type: "invalid_request_error",
  unauthenticated: "authentication_error",
  forbidden: "permission_error",
  not_found: "not_found_error",
  method_not_allowed: "invalid_request_error",
  conflict: "invalid_request_error",
  rate_limited: "rate_limit_error",
  payment_required: "billing_error",
  budget_exceeded: "billing_error",
  policy_violation: "invalid_request_error",
  upstream_error: "api_error",
  upstream_timeout: "timeout_error",
  unavailable: "overloaded_error",
  coordination_unavailable: "overloaded_error",
  internal: "api_error",
};

export class KrioraError extends Error {
  readonly code: ErrorCode;
  readonly param: string | null;
  readonly headers: Record<string, string>;

  constructor(code: ErrorCode, message: string, opts: { param?: string; headers?: Record<string, string> } = {}) {
    super(message);
    this.name = "KrioraError";
    this.code = code;
    this.param = opts.param ?? null;
    this.headers = opts.headers ?? {};
  }

  get status(): number {
    return statusByCode[this.code];
  }
}

/**
 * OpenAI's own `error.code` strings where it has one, for the model routes (clients and SDKs
 * branch on them): a bad or missing key, an unknown model, a rate limit, and an exhausted balance
 * or budget (`insufficient_quota`, sent with 402: OpenAI sends it with 429, which SDKs retry in
 * vain). Every other code is the gateway's own.
 */
function openAIModelRouteCode(err: KrioraError): string {
  switch (err.code) {
    case "unauthenticated":
      return "invalid_api_key";
    case "not_found":
      return err.param === "model" ? "model_not_found" : err.code;
    case "rate_limited":
      return "rate_limit_exceeded";
    case "payment_required":
    case "budget_exceeded":
      return "insufficient_quota";
    default:
      return err.code;
  }
}

/** `{"error":{"message","type","code","param"},"request_id"}`; `modelRoute` uses OpenAI's own codes (see above). */
export function openAIErrorBody(err: KrioraError, requestId: string, modelRoute = false) {
  return {
    error: {
      message: err.message,
      type: openAITypeByCode[err.code],
      code: modelRoute ? openAIModelRouteCode(err) : err.code,
      param: err.param,
    },
    request_id: requestId,
  };
}

/** `{"type":"error","error":{"type","message"},"request_id"}` */
export function anthropicErrorBody(err: KrioraError, requestId: string) {
  return {
    type: "error",
    error: { type: anthropicTypeByCode[err.code], message: err.message },
    request_id: requestId,
  };
}
