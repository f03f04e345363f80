import { openAIErrorBody, type KrioraError } from "../../lib/errors";
import { findUsage } from "../tail";
import { count, type TokenCounts } from "../tokens";
import { asRecord, parseData } from "../../lib/json";
import { DROP, KEEP, sseEvent, StreamWatch, textLength, type Verdict } from "../watch";
import { pathUrl, type WireFormat } from "../wire";

/**
 * OpenAI's `usage`, in both of its shapes: `prompt_tokens`/`completion_tokens` (chat,
 * completions, embeddings) and `input_tokens`/`output_tokens` (responses). Input includes cached.
 */
function openaiUsage(u: Record<string, unknown>): TokenCounts {
  if ("prompt_tokens" in u || "completion_tokens" in u)
    return {
      input: count(u.prompt_tokens),
      output: count(u.completion_tokens),
      cached: count(asRecord(u.prompt_tokens_details)?.cached_tokens),
    };
  return {
    input: count(u.input_tokens),
    output: count(u.output_tokens),
    cached: count(asRecord(u.input_tokens_details)?.cached_tokens),
  };
}

/** Generated text in one streamed choice: chat deltas (content, reasoning, refusal, tool arguments) or completion text. */
function choiceChars(choice: unknown): number {
  const c = asRecord(choice);
  if (!c) return 0;
  const delta = asRecord(c.delta);
  if (!delta) return textLength(c.text);
  let n =
    textLength(delta.content) +
    textLength(delta.reasoning_content) +
    textLength(delta.reasoning) +
    textLength(delta.refusal);
  if (Array.isArray(delta.tool_calls))
    for (const call of delta.tool_calls) n += textLength(asRecord(asRecord(call)?.function)?.arguments);
  return n;
}

/** `/chat/completions` and `/completions` streams: `data: {chunk}` … `data: [DONE]`. */
class ChatWatch extends StreamWatch {
  constructor(
    requestId: string,
    private readonly dropUsage: boolean,
  ) {
    super(requestId);
  }

  event(_name: string, data: string): Verdict {
    if (data === "[DONE]") {
      this.ended = true;
      return KEEP;
    }
    const chunk = parseData(data);
    if (!chunk) return KEEP;
    if (chunk.error) return this.upstreamFailed(asRecord(chunk.error)?.type);
    const choices = chunk.choices;
    if (Array.isArray(choices)) for (const choice of choices) this.chars += choiceChars(choice);
    const usage = asRecord(chunk.usage);
    if (usage) {
      this.usage = openaiUsage(usage);
      this.complete = true;
      if (this.dropUsage && Array.isArray(choices) && choices.length === 0) return DROP;
    }
    return KEEP;
  }

  errorEvent(err: KrioraError): string {
    return openaiErrorEvent(err, this.requestId);
  }
}

/** The error event, then `[DONE]`: clients that wait for it finish the stream instead of hanging. */
function openaiErrorEvent(err: KrioraError, requestId: string): string {
  return sseEvent(null, openAIErrorBody(err, requestId)) + "data: [DONE]\n\n";
}

/** The Responses API's own `error` event. */
function responsesErrorEvent(err: KrioraError, requestId: string): string {
  return sseEvent("error", { type: "error", code: err.code, message: err.message, param: null, request_id: requestId });
}

const RESPONSE_ENDS = new Set(["response.completed", "response.incomplete", "response.failed"]);

/** `/responses` streams: named events; usage rides on the closing `response.*` event. */
class ResponsesWatch extends StreamWatch {
  event(name: string, data: string): Verdict {
    const event = parseData(data);
    if (!event) return KEEP;
    const type = typeof event.type === "string" ? event.type : name;
    if (type === "error") return this.upstreamFailed(event.code);
    this.chars += textLength(event.delta);
    if (RESPONSE_ENDS.has(type)) {
      const response = asRecord(event.response);
      this.finish(type, asRecord(response?.usage));
    }
    return KEEP;
  }

  /** The closing event carries the whole response, so it can be large: its usage is near its end. */
  override oversized(name: string, tail: string, bytes: number): void {
    if (RESPONSE_ENDS.has(name)) this.finish(name, findUsage(tail));
    else this.chars += bytes;
  }

  errorEvent(err: KrioraError): string {
    return responsesErrorEvent(err, this.requestId);
  }

  private finish(type: string, usage: Record<string, unknown> | null): void {
    this.ended = true;
    if (usage) {
      this.usage = openaiUsage(usage);
      this.complete = true;
    }
    if (type === "response.failed") this.upstreamError = "response_failed";
  }
}

export const openaiWire: WireFormat = {
  format: "openai",
  url: pathUrl,
  headers: (apiKey): Record<string, string> => (apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
  body(endpoint, json, model) {
    if (!endpoint.usageOption || json.stream !== true)
      return { text: JSON.stringify({ ...json, model }), dropUsage: false };
    const options = asRecord(json.stream_options) ?? {};
    const text = JSON.stringify({ ...json, model, stream_options: { ...options, include_usage: true } });
    return { text, dropUsage: options.include_usage !== true };
  },
  usage: openaiUsage,
  usageOf: (answer) => asRecord(answer.usage),
  errorEvent: (err, requestId, endpoint) =>
    endpoint.name === "responses" ? responsesErrorEvent(err, requestId) : openaiErrorEvent(err, requestId),
  watch: (endpoint, requestId, dropUsage) =>
    endpoint.name === "responses" ? new ResponsesWatch(requestId) : new ChatWatch(requestId, dropUsage),
};
