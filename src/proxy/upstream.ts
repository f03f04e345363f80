import type { ProviderConfig } from "../config/schema";
import type { ConnectCheck } from "./connect";
import { Deadlines, type ByteChunk, type ByteReader } from "./deadlines";
import {
  clientGone,
  networkFailure,
  retryAfterMs,
  safeToken,
  serverShutdown,
  statusFailure,
  timeoutFailure,
  type Failure,
} from "./failure";
import { asRecord } from "../lib/json";

/** An attempt that got a 2xx answer and its first body chunk: from here on the client is committed to it. */
export interface Committed {
  ok: true;
  response: Response;
  reader: ByteReader;
  first: ByteChunk;
  deadlines: Deadlines;
  /** A small answer read whole before committing (see WHOLE_BODY_LIMIT); null when it is to be streamed. */
  whole: Uint8Array | null;
}

export type Attempt = Committed | { ok: false; failure: Failure };

interface UpstreamCall {
  provider: ProviderConfig;
  url: URL;
  headers: Record<string, string>;
  body: string;
  /** The client's request signal: its disconnect aborts the upstream request at once. */
  client: AbortSignal;
  /** Aborted when the server's shutdown grace runs out (deps.shutdown). */
  shutdown: AbortSignal;
  connect: ConnectCheck;
}

/** How much of an upstream error body is read for its type and code. */
const ERROR_BODY_LIMIT = 16 * 1024;

/**
 * A JSON answer that declares at most this length and no content encoding is read whole before
 * it is answered: it is sent with a content-length instead of through a relaying stream (much
 * cheaper per request), and a failure while reading it can still go to the next target.
 */
const WHOLE_BODY_LIMIT = 64 * 1024;

/**
 * One try at one provider, up to its first body byte, so that any failure before then can still
 * go to the next target. Redirects are never followed (`redirect: "manual"`), and Bun's own idle
 * timer is off (`timeout: false`): the deadlines here are the provider's configured ones.
 */
export async function callUpstream(call: UpstreamCall): Promise<Attempt> {
  const reach = await call.connect.reachable(call.url, call.provider.connect_timeout_ms);
  if (call.client.aborted) return { ok: false, failure: clientGone() };
  if (reach !== "ok")
    return { ok: false, failure: reach === "timeout" ? timeoutFailure("connect") : networkFailure(false) };
  const deadlines = new Deadlines(call.provider, call.client, call.shutdown);
  let response: Response;
  try {
    response = await fetch(call.url, {
      method: "POST",
      headers: call.headers,
      body: call.body,
      redirect: "manual",
      signal: deadlines.signal,
      timeout: false,
    });
  } catch {
    deadlines.done();
    return { ok: false, failure: thrownFailure(deadlines, false) };
  }
  call.connect.answered(call.url);
  if (response.status < 200 || response.status > 299 || !response.body) {
    const { type, code } = await errorTypeAndCode(response);
    deadlines.done();
    return {
      ok: false,
      failure: deadlines.clientGone
        ? clientGone()
        : statusFailure(response.status, type, code, retryAfterMs(response.headers, Date.now())),
    };
  }
  if (readsWhole(response.headers)) {
    try {
      const whole = await deadlines.readAll(response);
      return { ok: true, response, reader: READ_OUT, first: { done: true }, deadlines, whole };
    } catch {
      deadlines.done();
      return { ok: false, failure: thrownFailure(deadlines, false) };
    }
  }
  const reader = response.body.getReader();
  try {
    const first = await deadlines.read(reader);
    return { ok: true, response, reader, first, deadlines, whole: null };
  } catch {
    reader.cancel().catch(() => {});
    deadlines.done();
    return { ok: false, failure: thrownFailure(deadlines, false) };
  }
}

/** The reader of a body already read whole: nothing left. */
const READ_OUT: ByteReader = {
  read: () => Promise.resolve({ done: true }),
  cancel: () => Promise.resolve(),
};

function readsWhole(headers: Headers): boolean {
  const length = Number(headers.get("content-length") ?? Number.NaN);
  return (
    length <= WHOLE_BODY_LIMIT &&
    !headers.has("content-encoding") &&
    !headers.has("transfer-encoding") &&
    !headers.get("content-type")?.includes("text/event-stream")
  );
}

/** What ended an attempt that threw: the client leaving, the server stopping, a deadline, or the network. */
export function thrownFailure(deadlines: Deadlines, midStream: boolean): Failure {
  if (deadlines.clientGone) return clientGone();
  if (deadlines.stopped) return serverShutdown();
  if (deadlines.expired) return timeoutFailure(deadlines.expired);
  return networkFailure(midStream);
}

/** The provider's error `type` and `code`, when they are plain identifiers. Its message is never read out. */
async function errorTypeAndCode(response: Response): Promise<{ type: string | null; code: string | null }> {
  const reader = response.body?.getReader();
  if (!reader) return { type: null, code: null };
  const parts: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < ERROR_BODY_LIMIT) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
      size += value.length;
    }
    const error = asRecord(asRecord(JSON.parse(Buffer.concat(parts).toString("utf8")))?.error);
    return { type: safeToken(error?.type), code: safeToken(error?.code) };
  } catch {
    return { type: null, code: null };
  } finally {
    reader.cancel().catch(() => {});
  }
}
