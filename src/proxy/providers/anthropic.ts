import { anthropicErrorBody, type KrioraError } from "../../lib/errors";
import { count, type TokenCounts } from "../tokens";
import { asRecord, parseData } from "../../lib/json";
import { KEEP, sseEvent, StreamWatch, textLength, type Verdict } from "../watch";
import { pathUrl, type WireFormat } from "../wire";

/** The API version sent when the client names none. */
const ANTHROPIC_VERSION = "2023-06-01";

/**
 * Anthropic's `usage`: `input_tokens` excludes cache reads and writes, so input is the sum of the
 * three; `cached` is the cache reads (cache writes are counted as plain input).
 */
function anthropicUsage(u: Record<string, unknown>): TokenCounts {
  const cached = count(u.cache_read_input_tokens);
  return {
    input: count(u.input_tokens) + cached + count(u.cache_creation_input_tokens),
    output: count(u.output_tokens),
    cached,
  };
}

/** `/messages` streams: `message_start` brings input usage, `message_delta` the final counts, `message_stop` ends. */
class MessagesWatch extends StreamWatch {
  /** The usage fields seen so far; `message_delta` updates what `message_start` said. */
  private raw: Record<string, unknown> = {};

  event(_name: string, data: string): Verdict {
    const event = parseData(data);
    if (!event) return KEEP;
    switch (event.type) {
      case "message_start":
        this.merge(asRecord(asRecord(event.message)?.usage));
        break;
      case "content_block_delta": {
        const delta = asRecord(event.delta);
        this.chars += textLength(delta?.text) + textLength(delta?.thinking) + textLength(delta?.partial_json);
        break;
      }
      case "message_delta":
        this.merge(asRecord(event.usage));
        this.complete = this.usage !== null;
        break;
      case "message_stop":
        this.ended = true;
        break;
      case "error":
        return this.upstreamFailed(asRecord(event.error)?.type);
    }
    return KEEP;
  }

  errorEvent(err: KrioraError): string {
    return anthropicErrorEvent(err, this.requestId);
  }

  private merge(usage: Record<string, unknown> | null): void {
    if (!usage) return;
    this.raw = { ...this.raw, ...usage };
    this.usage = anthropicUsage(this.raw);
  }
}

function anthropicErrorEvent(err: KrioraError, requestId: string): string {
  return sseEvent("error", anthropicErrorBody(err, requestId));
}

const HEADER_VALUE = /^[\w.,= -]{1,200}$/;

export const anthropicWire: WireFormat = {
  format: "anthropic",
  url: pathUrl,
  headers(apiKey, client) {
    const version = client.get("anthropic-version");
    const headers: Record<string, string> = {
      "anthropic-version": version && HEADER_VALUE.test(version) ? version : ANTHROPIC_VERSION,
    };
    const beta = client.get("anthropic-beta");
    if (beta && HEADER_VALUE.test(beta)) headers["anthropic-beta"] = beta;
    if (apiKey) headers["x-api-key"] = apiKey;
    return headers;
  },
  body: (_endpoint, json, model) => ({ text: JSON.stringify({ ...json, model }), dropUsage: false }),
  usage: anthropicUsage,
  usageOf: (answer) => asRecord(answer.usage),
  errorEvent: anthropicErrorEvent,
  watch: (_endpoint, requestId) => new MessagesWatch(requestId),
};
