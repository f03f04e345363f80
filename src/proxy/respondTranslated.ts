import { KrioraError } from "../lib/errors";
import type { Logger } from "../lib/log";
import { formatUsd } from "../lib/money";
import type { TokenPrices } from "../usage/cost";
import { costStamp, requestCost } from "./cost";
import { meterUsage, sseInspector } from "./inspect";
import type { UsageRecorder } from "./usageEvent";
import type { ProxyCall } from "./call";
import { readWhole } from "./readWhole";
import { relayBody } from "./relayBody";
import { TranslatedWatch } from "./translatedWatch";
import type { Path } from "./translations";
import type { Leg } from "./translate/types";
import { thrownFailure, type Committed } from "./upstream";
import { asRecord } from "../lib/json";
import type { WireFormat } from "./wire";
import { WIRES } from "./wires";

/** A translated JSON answer is read whole (it must be parsed to be translated), up to this size. */
const MAX_ANSWER_BYTES = 32 * 1024 * 1024;
/** Stream events are translated one by one, so each must be parsed whole, up to this size. */
const MAX_EVENT_BYTES = 16 * 1024 * 1024;

interface Translated {
  call: ProxyCall;
  attempt: Committed;
  path: Path;
  leg: Leg;
  provider: { id: string; wire: WireFormat };
  requestChars: number;
  recorder: UsageRecorder;
  headers: Record<string, string>;
  /** The model's prices, for the cost header and the stream's final usage. */
  prices: TokenPrices | undefined;
  log: Logger;
}

/**
 * The provider's answer in the client's format: a JSON answer read whole, translated and sent
 * with its length; a stream translated event by event as it is relayed. Metering reads the
 * provider's own usage, so the counts are the provider's whatever the client's format.
 */
export async function respondTranslated(t: Translated): Promise<Response> {
  const { attempt, provider, recorder } = t;
  const { status } = attempt.response;
  const headers: Record<string, string> = { ...t.headers, "x-kriora-translated-to": provider.wire.format };
  if (t.leg.dropped.length > 0) headers["x-kriora-translation-dropped"] = t.leg.dropped.join(", ");
  if (attempt.response.headers.get("content-type")?.includes("text/event-stream")) {
    const clientError = (err: KrioraError, id: string) =>
      WIRES[t.call.endpoint.kind].errorEvent(err, id, t.call.endpoint);
    const watch = new TranslatedWatch(
      t.call.requestId,
      provider.wire.watch(t.path.upstream, t.call.requestId, false),
      t.leg.stream(),
      clientError,
      costStamp(t.prices),
    );
    const inspector = sseInspector(watch, null, MAX_EVENT_BYTES);
    const ended = Promise.withResolvers<void>();
    t.call.streamed?.(ended.promise);
    const body = relayBody(attempt.reader, attempt.first, attempt.deadlines, inspector, (end) => {
      if (end.failure && end.outcome !== "client_abort")
        t.log.warn("upstream_stream_failed", { id: t.call.requestId, provider: provider.id, outcome: end.outcome });
      recorder.finished(provider.id, status, inspector.result(t.requestChars), end);
      ended.resolve();
    });
    return new Response(body, {
      status,
      headers: {
        ...headers,
        "content-type": "text/event-stream",
        "cache-control": "no-cache",
        "x-accel-buffering": "no",
      },
    });
  }
  let bytes: Uint8Array;
  try {
    bytes = attempt.whole ?? (await readWhole(attempt.reader, attempt.first, attempt.deadlines, MAX_ANSWER_BYTES));
  } catch {
    attempt.reader.cancel().catch(() => {});
    const failure = thrownFailure(attempt.deadlines, true);
    attempt.deadlines.done();
    recorder.failed(provider.id, failure, t.requestChars);
    throw failure.error;
  }
  attempt.deadlines.done();
  const answer = parse(bytes);
  const metered = meterUsage(
    answer ? provider.wire.usageOf(answer) : null,
    bytes.length,
    provider.wire.usage,
    t.requestChars,
  );
  try {
    if (!answer) throw new KrioraError("upstream_error", "The provider's answer could not be translated (not JSON).");
    const translated = t.leg.response(answer);
    recorder.finished(provider.id, status, metered, { outcome: "ok", failure: null });
    const cost = formatUsd(requestCost(metered.counts, t.prices));
    return new Response(JSON.stringify(translated), {
      status,
      headers: { ...headers, "content-type": "application/json", "x-kriora-cost-usd": cost },
    });
  } catch (err) {
    const error =
      err instanceof KrioraError
        ? err
        : new KrioraError("upstream_error", "The provider's answer could not be translated.");
    recorder.finished(provider.id, error.status, metered, {
      outcome: "upstream_error",
      failure: {
        error,
        outcome: "upstream_error",
        retry: false,
        upstreamStatus: status,
        upstreamType: null,
        retryAfterMs: null,
      },
    });
    Object.assign(error.headers, headers);
    throw error;
  }
}

function parse(bytes: Uint8Array): Record<string, unknown> | null {
  try {
    return asRecord(JSON.parse(new TextDecoder().decode(bytes)));
  } catch {
    return null;
  }
}
