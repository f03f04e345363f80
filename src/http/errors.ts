import { KrioraError, anthropicErrorBody, openAIErrorBody } from "../lib/errors";
import { errorKind, type Logger } from "../lib/log";
import { isDatabaseUnreachable, isUnstorableText } from "../db/failures";

/** `/v1/messages` speaks Anthropic's error shape; every other route speaks OpenAI's. */
export function usesAnthropicShape(path: string): boolean {
  return path === "/v1/messages" || path.startsWith("/v1/messages/");
}

/**
 * Turn anything thrown into the product's error. Elysia's own errors (validation, parse) carry
 * the request body in their messages, so none of their text is reused: only a generic message
 * and, for validation, the schema path of the offending field.
 */
export function toKrioraError(code: string | number, error: unknown, log: Logger, route: string): KrioraError {
  if (error instanceof KrioraError) return error;
  if (failedBuildingValidationError(error)) return new KrioraError("invalid_request", INVALID_FIELD);
  if (isUnstorableText(error))
    return new KrioraError("invalid_request", "The request contains a NUL character, which no field may hold.");
  switch (code) {
    case "VALIDATION":
      return new KrioraError("invalid_request", INVALID_FIELD, { param: validationParam(error) });
    case "PARSE": {
      // Elysia wraps what the body reader (http/body.ts) throws — 401, 408, 413, 415 — as the cause: it stays what it is.
      // The database out of reach while the credential is checked is no fault of the body.
      const cause = (error as { cause?: unknown }).cause;
      if (cause instanceof KrioraError) return cause;
      if (isDatabaseUnreachable(cause)) return toKrioraError("", cause, log, route);
      return new KrioraError("invalid_json", "The request body could not be parsed as JSON.");
    }
    case "NOT_FOUND":
      return new KrioraError("not_found", "No such route.");
    case "INVALID_COOKIE_SIGNATURE":
      return new KrioraError("unauthenticated", "Invalid session.");
  }
  if (isDatabaseUnreachable(error)) {
    log.error("database_unreachable", { route, kind: errorKind(error) });
    return new KrioraError("unavailable", "The service is briefly unavailable; retry shortly.", {
      headers: { "retry-after": "1" },
    });
  }
  log.error("unhandled_error", { route, kind: errorKind(error) });
  return new KrioraError("internal", "Internal error.");
}

const INVALID_FIELD = "The request is invalid: a field is missing or has the wrong type or value.";

/**
 * Elysia writes the offending value into a ValidationError's message with `${value}`, which throws
 * a TypeError for a JSON object with a `toString` or `valueOf` key that is not a function
 * (`{"model":{"toString":0}}`): the request failed validation all the same.
 */
function failedBuildingValidationError(error: unknown): boolean {
  return error instanceof TypeError && (error.stack ?? "").includes("new ValidationError");
}

/**
 * The field's path from the schema, e.g. `/messages/0/role`. Unknown properties never get here:
 * Elysia strips them before validation, so a path names schema fields and array indexes.
 */
function validationParam(error: unknown): string | undefined {
  const first = (error as { all?: { path?: unknown }[] }).all?.[0];
  if (typeof first?.path !== "string") return undefined;
  return /^[\w/.-]{1,128}$/.test(first.path) ? first.path : undefined;
}

/** The OpenAI-format model routes (`/v1/chat/completions`, `/v1/models`, …), which use OpenAI's own error codes. */
function isOpenAIModelRoute(path: string): boolean {
  return path.startsWith("/v1/") && !usesAnthropicShape(path);
}

export function errorResponse(err: KrioraError, path: string, requestId: string): Response {
  const body = usesAnthropicShape(path)
    ? anthropicErrorBody(err, requestId)
    : openAIErrorBody(err, requestId, isOpenAIModelRoute(path));
  return new Response(JSON.stringify(body), {
    status: err.status,
    headers: { "content-type": "application/json", ...err.headers },
  });
}
