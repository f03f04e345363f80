import { unwatch, watch } from "../lib/deadlineWheel";
import { KrioraError } from "../lib/errors";
import { jsonNestsDeeperThan, MAX_BODY_DEPTH } from "./bodyShape";

/** Sign-up, sign-in and the like carry an address and a few flags: a few KB is plenty. */
export const PUBLIC_FORM_BYTES = 8 * 1024;
/** Stripe's events are a few KB; a megabyte leaves room without inviting a flood. */
const WEBHOOK_BYTES = 1024 * 1024;

/**
 * How a route's body is read. Routes anyone may call get a small limit (they are read before any
 * credential is known); every other route is authenticated before a byte of its body is read,
 * so an anonymous caller cannot make the server buffer or parse megabytes.
 */
interface BodyPolicy {
  limit: number;
  /** Read without a credential (the route is public). */
  anonymous: boolean;
  /** Hand the route the exact text (a signature is computed over it), never parsed. */
  raw: boolean;
}

const PUBLIC_FORMS = ["/auth/", "/account/email/verify"];

export function bodyPolicy(path: string, maxBodyBytes: number): BodyPolicy {
  if (path.startsWith("/webhooks/"))
    return { limit: Math.min(WEBHOOK_BYTES, maxBodyBytes), anonymous: true, raw: true };
  if (PUBLIC_FORMS.some((p) => path.startsWith(p)))
    return { limit: Math.min(PUBLIC_FORM_BYTES, maxBodyBytes), anonymous: true, raw: false };
  return { limit: maxBodyBytes, anonymous: false, raw: false };
}

/** `application/json`, with or without parameters (`; charset=utf-8`). */
export const isJson = (contentType: string | null) =>
  contentType?.split(";")[0]?.trim().toLowerCase() === "application/json";

const tooLarge = (limit: number) => new KrioraError("payload_too_large", `The request body exceeds ${limit} bytes.`);

const unreadable = () => new KrioraError("invalid_request", "The request body could not be read.");
const lateBody = (timeoutMs: number) =>
  new KrioraError("request_timeout", `The request body did not arrive within ${Math.round(timeoutMs / 1000)} seconds.`);

/**
 * The body's bytes, at most `limit` of them and within `timeoutMs`: a body declared or streamed
 * past the limit is 413, one still arriving at the deadline is 408 (a client trickling a body
 * would otherwise hold its buffer for as long as it likes).
 */
export function readBody(request: Request, limit: number, timeoutMs: number): Promise<Uint8Array> {
  const declared = request.headers.get("content-length");
  if (Number(declared ?? 0) > limit) return Promise.reject(tooLarge(limit));
  // A declared length bounds the body (the HTTP parser reads no further), so Bun may buffer it
  // natively instead of through a JS ReadableStream (issue 15: that stream was a fifth of a request's CPU).
  if (declared !== null && !request.headers.has("transfer-encoding")) return readDeclared(request, timeoutMs);
  return readStreamed(request, limit, timeoutMs);
}

function readDeclared(request: Request, timeoutMs: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const deadline = performance.now() + timeoutMs;
    const reading = {
      tick(now: number) {
        if (now < deadline) return;
        unwatch(reading);
        reject(lateBody(timeoutMs));
      },
    };
    watch(reading);
    request.bytes().then(
      (bytes) => {
        unwatch(reading);
        resolve(bytes);
      },
      () => {
        unwatch(reading);
        reject(unreadable());
      },
    );
  });
}

async function readStreamed(request: Request, limit: number, timeoutMs: number): Promise<Uint8Array> {
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  let timedOut = false;
  const deadline = performance.now() + timeoutMs;
  const reading = {
    tick(now: number) {
      if (timedOut || now < deadline) return;
      timedOut = true;
      reader.cancel().catch(() => {});
    },
  };
  watch(reading);
  const parts: Uint8Array[] = [];
  let size = 0;
  try {
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      size += chunk.value.length;
      if (size > limit) {
        reader.cancel().catch(() => {});
        throw tooLarge(limit);
      }
      parts.push(chunk.value);
    }
  } catch (err) {
    if (err instanceof KrioraError) throw err;
    if (!timedOut) throw unreadable();
  } finally {
    unwatch(reading);
  }
  if (timedOut) throw lateBody(timeoutMs);
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

const decoder = new TextDecoder();

/**
 * A JSON body parsed, after a byte scan for its nesting depth (cheap, and nothing recurses
 * before it). Invalid UTF-8 becomes U+FFFD (WHATWG), so a provider only ever receives well-formed
 * text. An empty body is an empty object: nothing given.
 */
export function parseJsonBody(bytes: Uint8Array): unknown {
  if (bytes.length === 0) return {};
  const text = decoder.decode(bytes);
  if (jsonNestsDeeperThan(text, MAX_BODY_DEPTH))
    throw new KrioraError("invalid_request", `The request body nests more than ${MAX_BODY_DEPTH} levels deep.`);
  try {
    return JSON.parse(text);
  } catch {
    throw new KrioraError("invalid_json", "The request body could not be parsed as JSON.");
  }
}

/** A raw body's exact text. */
export const textBody = (bytes: Uint8Array) => decoder.decode(bytes);
