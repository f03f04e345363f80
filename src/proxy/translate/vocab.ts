import { count } from "../tokens";
import type { Json } from "./types";

/** Anthropic's `stop_reason` as OpenAI's `finish_reason`. */
export function finishOfStop(stop: unknown): string {
  switch (stop) {
    case "max_tokens":
    case "model_context_window_exceeded":
      return "length";
    case "tool_use":
      return "tool_calls";
    case "refusal":
      return "content_filter";
    default:
      return "stop";
  }
}

/** OpenAI's `finish_reason` as Anthropic's `stop_reason`. */
export function stopOfFinish(finish: unknown): string {
  switch (finish) {
    case "length":
      return "max_tokens";
    case "tool_calls":
    case "function_call":
      return "tool_use";
    case "content_filter":
      return "refusal";
    default:
      return "end_turn";
  }
}

/** Anthropic usage as OpenAI's: prompt tokens include cache reads and writes; cached tokens are the reads. */
export function chatUsageOfAnthropic(u: Json): Json {
  const cached = count(u.cache_read_input_tokens);
  const prompt = count(u.input_tokens) + cached + count(u.cache_creation_input_tokens);
  const completion = count(u.output_tokens);
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: cached },
  };
}

/** OpenAI chat usage as Anthropic's: `input_tokens` leaves out the cached part, which goes to `cache_read_input_tokens`. */
export function anthropicUsageOfChat(u: Json): Json {
  const cached = count((u.prompt_tokens_details as Json | undefined)?.cached_tokens);
  return {
    input_tokens: Math.max(0, count(u.prompt_tokens) - cached),
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: cached,
    output_tokens: count(u.completion_tokens),
  };
}

/** Gemini's `finishReason` as OpenAI's; a turn that called functions ends in `tool_calls`. */
export function finishOfGemini(reason: unknown, calledTools: boolean): string {
  switch (reason) {
    case "MAX_TOKENS":
      return "length";
    case "SAFETY":
    case "RECITATION":
    case "BLOCKLIST":
    case "PROHIBITED_CONTENT":
    case "SPII":
    case "IMAGE_SAFETY":
      return "content_filter";
    default:
      return calledTools ? "tool_calls" : "stop";
  }
}

/** Gemini usage as OpenAI's: thoughts count as completion tokens, as Gemini bills them. */
export function chatUsageOfGemini(u: Json): Json {
  const prompt = count(u.promptTokenCount);
  const completion = count(u.candidatesTokenCount) + count(u.thoughtsTokenCount);
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: count(u.cachedContentTokenCount) },
  };
}
