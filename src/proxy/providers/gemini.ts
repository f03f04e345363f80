import { openAIErrorBody, type KrioraError } from "../../lib/errors";
import { count, type TokenCounts } from "../tokens";
import { asRecord, parseData } from "../../lib/json";
import { KEEP, sseEvent, StreamWatch, textLength, type Verdict } from "../watch";
import type { WireFormat } from "../wire";

/**
 * Gemini's `usageMetadata`: `promptTokenCount` includes the cached part (`cachedContentTokenCount`);
 * output is the candidates plus the model's thoughts, both billed as output.
 */
function geminiUsage(u: Record<string, unknown>): TokenCounts {
  return {
    input: count(u.promptTokenCount),
    output: count(u.candidatesTokenCount) + count(u.thoughtsTokenCount),
    cached: count(u.cachedContentTokenCount),
  };
}

/** Generated text in one streamed candidate: text parts and function-call arguments. */
function candidateChars(candidate: unknown): number {
  const parts = asRecord(asRecord(candidate)?.content)?.parts;
  if (!Array.isArray(parts)) return 0;
  let n = 0;
  for (const part of parts) {
    const p = asRecord(part);
    n += textLength(p?.text);
    const call = asRecord(p?.functionCall);
    if (call) n += JSON.stringify(call.args ?? {}).length;
  }
  return n;
}

/**
 * `streamGenerateContent?alt=sse`: every event is a whole `GenerateContentResponse`; usage rides
 * on them (the last one is final) and the chunk with a `finishReason` ends the answer — the
 * stream has no closing event of its own.
 */
class GeminiWatch extends StreamWatch {
  event(_name: string, data: string): Verdict {
    const chunk = parseData(data);
    if (!chunk) return KEEP;
    if (chunk.error) return this.upstreamFailed(asRecord(chunk.error)?.status);
    const usage = asRecord(chunk.usageMetadata);
    if (usage) this.usage = geminiUsage(usage);
    if (Array.isArray(chunk.candidates))
      for (const candidate of chunk.candidates) {
        this.chars += candidateChars(candidate);
        if (asRecord(candidate)?.finishReason) this.ended = true;
      }
    this.complete = this.ended && this.usage !== null;
    return KEEP;
  }

  /** No client speaks Gemini's format (it is reached through translation); this is never sent as is. */
  errorEvent(err: KrioraError): string {
    return sseEvent(null, openAIErrorBody(err, this.requestId));
  }
}

/** A model name as Gemini's path segment: `models/x` and `x` both name model x. */
function modelPath(model: string): string {
  return `models/${encodeURIComponent(model.replace(/^models\//, ""))}`;
}

/**
 * Google's Gemini API (generativelanguage.googleapis.com/v1beta): the model and the stream mode
 * are in the path; the key travels in `x-goog-api-key`, never in the URL, so it is never in a
 * logged address.
 */
export const geminiWire: WireFormat = {
  format: "gemini",
  url: (base, _endpoint, model, stream) =>
    new URL(`${base}/${modelPath(model)}:${stream ? "streamGenerateContent?alt=sse" : "generateContent"}`),
  headers: (apiKey): Record<string, string> => (apiKey ? { "x-goog-api-key": apiKey } : {}),
  body: (_endpoint, json) => {
    const { model: _model, ...rest } = json;
    return { text: JSON.stringify(rest), dropUsage: false };
  },
  usage: geminiUsage,
  usageOf: (answer) => asRecord(answer.usageMetadata),
  watch: (_endpoint, requestId) => new GeminiWatch(requestId),
  errorEvent: (err, requestId) => sseEvent(null, openAIErrorBody(err, requestId)),
};
