import type { KrioraError } from "../lib/errors";
import type { UsageStamp } from "./cost";
import { SseRelay } from "./sse";
import { ByteTail, findUsage } from "./tail";
import { estimateTokens, type TokenCounts } from "./tokens";
import type { Metered, StreamWatch } from "./watch";

/** Sits on the relayed body: passes bytes on and learns what metering needs from them. */
export interface Inspector {
  /** Take one upstream chunk; push onto `out` the bytes to relay now. */
  push(chunk: Uint8Array, out: Uint8Array[]): void;
  /** The upstream body ended cleanly; false when it ended before its format's closing event. */
  end(out: Uint8Array[]): boolean;
  /** The bytes that close a client's stream after an upstream failure, or null when the format has none. */
  failure(err: KrioraError): Uint8Array | null;
  result(requestChars: number): Metered;
}

const encoder = new TextEncoder();

/**
 * `stamp` adds the cost to the final usage event; `maxEventBytes`: events up to this size are
 * parsed (and may be dropped or replaced), larger ones pass as they came.
 */
export function sseInspector(watch: StreamWatch, stamp: UsageStamp | null = null, maxEventBytes?: number): Inspector {
  const relay = new SseRelay(watch, maxEventBytes, stamp);
  return {
    push: (chunk, out) => relay.push(chunk, out),
    end(out) {
      relay.end(out);
      return watch.ended;
    },
    failure: (err) => encoder.encode(watch.errorEvent(err)),
    result: (requestChars) => watch.result(requestChars),
  };
}

/**
 * A JSON body: relayed chunk by chunk, its usage read from the tail at the end. Without usage the
 * output is estimated from the bytes relayed (an over-estimate: they include the JSON around the text).
 */
export function jsonInspector(readUsage: (usage: Record<string, unknown>) => TokenCounts): Inspector {
  const tail = new ByteTail();
  let bytes = 0;
  return {
    push(chunk, out) {
      tail.push(chunk);
      bytes += chunk.length;
      out.push(chunk);
    },
    end: () => true,
    failure: () => null,
    result(requestChars) {
      const text = tail.text();
      tail.clear();
      return meterJson(text, bytes, readUsage, requestChars);
    },
  };
}

/** Usage from a JSON body (or its tail), estimated from its size when the provider sent none. */
export function meterJson(
  text: string,
  bytes: number,
  readUsage: (usage: Record<string, unknown>) => TokenCounts,
  requestChars: number,
): Metered {
  return meterUsage(findUsage(text), bytes, readUsage, requestChars);
}

/** Counts from a provider's usage object; estimated from the sizes when there is none. */
export function meterUsage(
  usage: Record<string, unknown> | null,
  bytes: number,
  readUsage: (usage: Record<string, unknown>) => TokenCounts,
  requestChars: number,
): Metered {
  if (usage) return { counts: readUsage(usage), estimated: false, upstreamError: null };
  return {
    counts: { input: estimateTokens(requestChars), output: estimateTokens(bytes), cached: 0 },
    estimated: true,
    upstreamError: null,
  };
}
