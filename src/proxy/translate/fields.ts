import { asRecord } from "../../lib/json";
import { given, unknownField, untranslatable, type Json } from "./types";

/**
 * The documented top-level fields of each client format. Only these are ever named in a refusal:
 * any other key is the client's own text, and errors never echo request content.
 */
export const KNOWN_FIELDS = {
  chat: [
    "model",
    "messages",
    "audio",
    "frequency_penalty",
    "function_call",
    "functions",
    "logit_bias",
    "logprobs",
    "max_completion_tokens",
    "max_tokens",
    "metadata",
    "modalities",
    "n",
    "parallel_tool_calls",
    "prediction",
    "presence_penalty",
    "prompt_cache_key",
    "reasoning_effort",
    "response_format",
    "safety_identifier",
    "seed",
    "service_tier",
    "stop",
    "store",
    "stream",
    "stream_options",
    "temperature",
    "tool_choice",
    "tools",
    "top_logprobs",
    "top_p",
    "user",
    "verbosity",
    "web_search_options",
  ],
  messages: [
    "model",
    "messages",
    "max_tokens",
    "container",
    "context_management",
    "mcp_servers",
    "metadata",
    "service_tier",
    "stop_sequences",
    "stream",
    "system",
    "temperature",
    "thinking",
    "tool_choice",
    "tools",
    "top_k",
    "top_p",
  ],
  responses: [
    "model",
    "input",
    "background",
    "conversation",
    "include",
    "instructions",
    "max_output_tokens",
    "max_tool_calls",
    "metadata",
    "parallel_tool_calls",
    "previous_response_id",
    "prompt",
    "prompt_cache_key",
    "reasoning",
    "safety_identifier",
    "service_tier",
    "store",
    "stream",
    "stream_options",
    "temperature",
    "text",
    "tool_choice",
    "tools",
    "top_logprobs",
    "top_p",
    "truncation",
    "user",
  ],
} as const;

/** How a translation treats the top-level fields of a request. */
export interface FieldRules {
  /** The client format's documented fields (KNOWN_FIELDS): the only names a refusal may repeat. */
  known: readonly string[];
  /** Read and mapped by the translation. */
  mapped: readonly string[];
  /** Documented as dropped: accepted and not sent on. */
  dropped: readonly string[];
  /** Accepted when absent, null or equal to this neutral value (e.g. a penalty of 0); refused otherwise. */
  neutral?: Readonly<Record<string, unknown>>;
}

/**
 * Checks every top-level field against the rules: a field with no equivalent, or a neutral-only
 * field with a real value, is a 400 naming it (a key outside the format's documented fields is
 * refused without being named). Returns the dropped fields that were actually present.
 */
export function checkFields(body: Json, rules: FieldRules, target: string): string[] {
  const dropped: string[] = [];
  for (const [key, value] of Object.entries(body)) {
    if (value === undefined || value === null || rules.mapped.includes(key)) continue;
    if (rules.dropped.includes(key)) dropped.push(key);
    else if (!rules.known.includes(key)) throw unknownField(target);
    else if (!rules.neutral || !(key in rules.neutral) || value !== rules.neutral[key])
      throw untranslatable(key, `${target} has no equivalent`);
  }
  return dropped;
}

/** Adds a documented drop to the list once. */
export function noteDropped(dropped: string[], field: string): void {
  if (!dropped.includes(field)) dropped.push(field);
}

/**
 * Adds `items` to the conversation as a `role` turn, joining the last turn when it has the same
 * role (Anthropic and Gemini want user and assistant turns to alternate; OpenAI does not).
 */
export function pushTurn(turns: Json[], role: string, key: string, items: unknown[]): void {
  const last = turns.at(-1);
  if (last?.role === role) (last[key] as unknown[]).push(...items);
  else turns.push({ role, [key]: items });
}

/** Reasoning effort ⇄ thinking budget (Anthropic's minimum budget is 1024 tokens). */
const BUDGETS: Record<string, number> = { minimal: 1024, low: 2048, medium: 8192, high: 24576 };

export function budgetOfEffort(effort: unknown): number | null {
  return typeof effort === "string" ? (BUDGETS[effort] ?? null) : null;
}

export function effortOfBudget(budget: number): "low" | "medium" | "high" {
  return budget < 4096 ? "low" : budget < 16384 ? "medium" : "high";
}

/** A `data:` URL's media type and base64 payload, or null when it is not one. */
export function dataUrl(url: string): { mediaType: string; data: string } | null {
  const match = /^data:([\w.+-]+\/[\w.+-]+);base64,/.exec(url);
  return match ? { mediaType: match[1]!, data: url.slice(match[0].length) } : null;
}

/** What a translation does with each kind of OpenAI chat message. */
interface ChatVisitor {
  /** The texts of a `system` or `developer` message. */
  system(texts: string[]): void;
  user(message: Json, at: string): void;
  assistant(message: Json, at: string): void;
  tool(message: Json, at: string): void;
}

/** Walks an OpenAI `messages` array in order; notes the drops common to every target (names, reasoning in history). */
export function eachChatMessage(input: unknown, dropped: string[], visit: ChatVisitor): void {
  if (!Array.isArray(input)) throw untranslatable("messages", "it must be an array");
  input.forEach((raw, i) => {
    const m = asRecord(raw) ?? {};
    const at = `messages[${i}]`;
    if (given(m.name)) noteDropped(dropped, "messages[].name");
    if (given(m.reasoning_content)) noteDropped(dropped, "messages[].reasoning_content");
    if (m.role === "system" || m.role === "developer") visit.system(systemTexts(m.content, at));
    else if (m.role === "user") visit.user(m, at);
    else if (m.role === "assistant") visit.assistant(m, at);
    else if (m.role === "tool") visit.tool(m, at);
    else throw untranslatable(`${at}.role`, "this role has no equivalent");
  });
}

function systemTexts(content: unknown, at: string): string[] {
  if (typeof content === "string") return [content];
  if (!Array.isArray(content)) throw untranslatable(`${at}.content`, "content must be a string or an array of parts");
  return content.map((raw) => {
    const part = asRecord(raw);
    if (part?.type !== "text" || typeof part.text !== "string")
      throw untranslatable(`${at}.content`, "a system prompt holds text only");
    return part.text;
  });
}
