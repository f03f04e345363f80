import { KrioraError } from "../lib/errors";
import { safeToken } from "./failure";
import { estimateTokens, type TokenCounts } from "./tokens";

/** What to do with one upstream SSE event: relay it, keep it from the client, or send this instead. */
export type Verdict = "keep" | "drop" | { replace: string };

export const KEEP: Verdict = "keep";
export const DROP: Verdict = "drop";

/** What metering learns from a response: the counts and whether they are the provider's own. */
export interface Metered {
  counts: TokenCounts;
  estimated: boolean;
  /** The error type the provider reported inside a 2xx response (allowlisted), if any. */
  upstreamError: string | null;
}

/**
 * Reads a provider's event stream on the side, one wire format per subclass: usage, the length
 * of the text relayed (for estimates), whether the stream reached its proper end, and errors the
 * provider reported in-stream (replaced by a sanitised event: their messages may quote the prompt).
 * Nothing is kept but numbers.
 */
export abstract class StreamWatch {
  /** Characters of generated text seen, for the estimate when no usage arrives. */
  chars = 0;
  usage: TokenCounts | null = null;
  /** The provider's final usage arrived. */
  complete = false;
  /** The stream's closing event arrived. */
  ended = false;
  upstreamError: string | null = null;

  constructor(protected readonly requestId: string) {}

  abstract event(name: string, data: string): Verdict;

  /** The event that closes a client's stream when the upstream fails part-way, in this format. */
  abstract errorEvent(err: KrioraError): string;

  /**
   * An event too large to parse was relayed as it came; `tail` is its last bytes. By default its
   * size counts as text; formats whose usage rides on a large event read it from the tail.
   */
  oversized(_name: string, _tail: string, bytes: number): void {
    this.chars += bytes;
  }

  /** The provider reported an error in-stream: note its type, and end the client's stream with a sanitised event. */
  protected upstreamFailed(type: unknown): Verdict {
    this.upstreamError = safeToken(type) ?? "error";
    this.ended = true;
    return {
      replace: this.errorEvent(
        new KrioraError("upstream_error", `The provider reported an error mid-stream (${this.upstreamError}).`),
      ),
    };
  }

  result(requestChars: number): Metered {
    const seen = this.usage;
    if (seen && this.complete) return { counts: seen, estimated: false, upstreamError: this.upstreamError };
    return {
      counts: {
        input: seen?.input || estimateTokens(requestChars),
        output: Math.max(seen?.output ?? 0, estimateTokens(this.chars)),
        cached: seen?.cached ?? 0,
      },
      estimated: true,
      upstreamError: this.upstreamError,
    };
  }
}

/** `event: name` (when named) and `data: json`, ending the event. */
export function sseEvent(name: string | null, data: unknown): string {
  return `${name ? `event: ${name}\n` : ""}data: ${JSON.stringify(data)}\n\n`;
}

/** The length of `value` when it is a string, else 0. */
export function textLength(value: unknown): number {
  return typeof value === "string" ? value.length : 0;
}
