import { asRecord } from "../../lib/json";
import { chatAnswerToAnthropic, chatStreamToAnthropic } from "./chatToAnthropicAnswer";
import { checkFields, KNOWN_FIELDS, effortOfBudget, noteDropped, type FieldRules } from "./fields";
import { given, untranslatable, type Json, type Translate } from "./types";

const TARGET = "OpenAI's Chat Completions API";

const RULES: FieldRules = {
  known: KNOWN_FIELDS.messages,
  mapped: [
    "model",
    "messages",
    "system",
    "max_tokens",
    "temperature",
    "top_p",
    "stop_sequences",
    "stream",
    "tools",
    "tool_choice",
    "metadata",
    "thinking",
  ],
  dropped: ["service_tier"],
  neutral: {},
};

/** An Anthropic messages request for an OpenAI-format model: `/v1/messages` → `/v1/chat/completions`. */
export const anthropicToOpenai: Translate = (body, options) => {
  const dropped = checkFields(body, RULES, TARGET);
  const messages: Json[] = [];
  if (given(body.system)) messages.push({ role: "system", content: systemText(body.system, dropped) });
  if (!Array.isArray(body.messages)) throw untranslatable("messages", "it must be an array");
  for (const [i, raw] of body.messages.entries()) messages.push(...convertMessage(raw, `messages[${i}]`, dropped));
  if (Array.isArray(body.tools) && body.tools.some((t) => given(asRecord(t)?.cache_control)))
    noteDropped(dropped, "cache_control");
  const out: Json = { model: options.upstreamModel, messages };
  if (given(body.max_tokens)) out.max_tokens = body.max_tokens;
  if (given(body.temperature)) out.temperature = body.temperature;
  if (given(body.top_p)) out.top_p = body.top_p;
  if (Array.isArray(body.stop_sequences) && body.stop_sequences.length > 0) out.stop = body.stop_sequences;
  if (body.stream === true) {
    out.stream = true;
    out.stream_options = { include_usage: true };
  }
  const user = asRecord(body.metadata)?.user_id;
  if (typeof user === "string") out.user = user;
  if (Array.isArray(body.tools) && body.tools.length > 0) out.tools = body.tools.map(convertTool);
  Object.assign(out, toolChoice(body.tool_choice));
  const think = asRecord(body.thinking);
  if (think?.type === "enabled" && typeof think.budget_tokens === "number")
    out.reasoning_effort = effortOfBudget(think.budget_tokens);
  const answer = { model: options.clientModel };
  return {
    body: out,
    dropped,
    response: (json) => chatAnswerToAnthropic(json, answer),
    stream: () => chatStreamToAnthropic(answer),
  };
};

function systemText(system: unknown, dropped: string[]): string {
  if (typeof system === "string") return system;
  if (!Array.isArray(system)) throw untranslatable("system", "it must be a string or text blocks");
  return system
    .map((raw, i) => {
      const block = asRecord(raw) ?? {};
      if (block.type !== "text") throw untranslatable(`system[${i}].type`, "a system prompt holds text only");
      if (given(block.cache_control)) noteDropped(dropped, "cache_control");
      return String(block.text ?? "");
    })
    .join("\n");
}

/** One Anthropic message as OpenAI messages: tool results become `tool` messages, placed first. */
function convertMessage(raw: unknown, at: string, dropped: string[]): Json[] {
  const m = asRecord(raw) ?? {};
  if (m.role !== "user" && m.role !== "assistant")
    throw untranslatable(`${at}.role`, "only user and assistant turns exist in this format");
  const blocks: Json[] =
    typeof m.content === "string"
      ? [{ type: "text", text: m.content }]
      : Array.isArray(m.content)
        ? m.content.map((b) => asRecord(b) ?? {})
        : [];
  if (blocks.some((b) => given(b.cache_control))) noteDropped(dropped, "cache_control");
  if (m.role === "assistant") return [assistantMessage(blocks, at, dropped)];
  const results: Json[] = [];
  const parts: Json[] = [];
  blocks.forEach((block, j) => {
    const where = `${at}.content[${j}]`;
    if (block.type === "tool_result") {
      if (block.is_error === true) noteDropped(dropped, "tool_result.is_error");
      results.push({
        role: "tool",
        tool_call_id: String(block.tool_use_id ?? ""),
        content: resultText(block.content, where),
      });
    } else parts.push(userPart(block, where));
  });
  if (parts.length === 0) return results;
  return [
    ...results,
    { role: "user", content: parts.length === 1 && parts[0]!.type === "text" ? parts[0]!.text : parts },
  ];
}

function userPart(block: Json, where: string): Json {
  if (block.type === "text") return { type: "text", text: String(block.text ?? "") };
  if (block.type === "image") {
    const source = asRecord(block.source) ?? {};
    if (source.type === "base64")
      return { type: "image_url", image_url: { url: `data:${source.media_type};base64,${source.data}` } };
    if (source.type === "url") return { type: "image_url", image_url: { url: source.url } };
    throw untranslatable(`${where}.source.type`, "only base64 and url images can be translated");
  }
  throw untranslatable(`${where}.type`, `${TARGET} does not take this kind of content`);
}

function resultText(content: unknown, where: string): string {
  if (content === undefined || content === null) return "";
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) throw untranslatable(`${where}.content`, "it must be a string or text blocks");
  return content
    .map((raw, k) => {
      const block = asRecord(raw) ?? {};
      if (block.type !== "text")
        throw untranslatable(`${where}.content[${k}].type`, "a tool result sent to this provider holds text only");
      return String(block.text ?? "");
    })
    .join("");
}

function assistantMessage(blocks: Json[], at: string, dropped: string[]): Json {
  let text = "";
  const calls: Json[] = [];
  blocks.forEach((block, j) => {
    if (block.type === "text") text += String(block.text ?? "");
    else if (block.type === "tool_use")
      calls.push({
        id: block.id,
        type: "function",
        function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) },
      });
    else if (block.type === "thinking" || block.type === "redacted_thinking")
      noteDropped(dropped, "messages[].thinking");
    else throw untranslatable(`${at}.content[${j}].type`, `${TARGET} does not take this kind of content`);
  });
  const message: Json = { role: "assistant", content: calls.length > 0 && text === "" ? null : text };
  if (calls.length > 0) message.tool_calls = calls;
  return message;
}

function convertTool(raw: unknown, i: number): Json {
  const tool = asRecord(raw) ?? {};
  if (given(tool.type) && tool.type !== "custom")
    throw untranslatable(`tools[${i}].type`, "only client tools (name, input_schema) can be translated");
  const fn: Json = { name: tool.name, parameters: asRecord(tool.input_schema) ?? { type: "object", properties: {} } };
  if (given(tool.description)) fn.description = tool.description;
  return { type: "function", function: fn };
}

function toolChoice(raw: unknown): Json {
  const choice = asRecord(raw);
  if (!choice) return {};
  const parallel = choice.disable_parallel_tool_use === true ? { parallel_tool_calls: false } : {};
  switch (choice.type) {
    case "auto":
      return { tool_choice: "auto", ...parallel };
    case "any":
      return { tool_choice: "required", ...parallel };
    case "none":
      return { tool_choice: "none" };
    case "tool":
      return { tool_choice: { type: "function", function: { name: choice.name } }, ...parallel };
  }
  throw untranslatable("tool_choice.type", "only auto, any, none or tool can be translated");
}
