import { asRecord } from "../../lib/json";
import { chatAnswerToResponses, chatStreamToResponses } from "./chatToResponsesAnswer";
import { checkFields, KNOWN_FIELDS, noteDropped, type FieldRules } from "./fields";
import { given, untranslatable, type Json, type Translate } from "./types";

const TARGET = "the Chat Completions format this model is reached through";

const RULES: FieldRules = {
  known: KNOWN_FIELDS.responses,
  mapped: [
    "model",
    "input",
    "instructions",
    "max_output_tokens",
    "temperature",
    "top_p",
    "stream",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "text",
    "reasoning",
    "user",
    "safety_identifier",
  ],
  dropped: ["metadata", "store", "service_tier", "prompt_cache_key", "truncation", "include"],
  neutral: { background: false },
};

/**
 * An OpenAI Responses request as a chat request (the pivot to any chat model): `input` items
 * become messages, `function_call` / `function_call_output` items become tool calls and tool
 * messages. Stateless only: `previous_response_id`, built-in tools and other item types are refused.
 */
export const responsesToChat: Translate = (body, options) => {
  const dropped = checkFields(body, RULES, TARGET);
  const messages: Json[] = [];
  if (typeof body.instructions === "string") messages.push({ role: "system", content: body.instructions });
  if (typeof body.input === "string") messages.push({ role: "user", content: body.input });
  else if (Array.isArray(body.input))
    for (const [i, item] of body.input.entries()) addItem(messages, asRecord(item) ?? {}, `input[${i}]`, dropped);
  else throw untranslatable("input", "it must be a string or a list of items");
  const out: Json = { model: options.upstreamModel, messages };
  if (given(body.max_output_tokens)) out.max_tokens = body.max_output_tokens;
  if (given(body.temperature)) out.temperature = body.temperature;
  if (given(body.top_p)) out.top_p = body.top_p;
  if (body.stream === true) {
    out.stream = true;
    out.stream_options = { include_usage: true };
  }
  if (Array.isArray(body.tools) && body.tools.length > 0) out.tools = body.tools.map(convertTool);
  if (given(body.tool_choice)) out.tool_choice = toolChoice(body.tool_choice);
  if (given(body.parallel_tool_calls)) out.parallel_tool_calls = body.parallel_tool_calls;
  const format = asRecord(asRecord(body.text)?.format);
  if (format && format.type !== "text") out.response_format = responseFormat(format);
  const effort = asRecord(body.reasoning)?.effort;
  if (typeof effort === "string") {
    out.reasoning_effort = effort;
    noteDropped(dropped, "output[].reasoning");
  }
  if (given(asRecord(body.reasoning)?.summary)) noteDropped(dropped, "reasoning.summary");
  const user = body.safety_identifier ?? body.user;
  if (typeof user === "string") out.user = user;
  const answer = { model: options.clientModel, created: options.now };
  return {
    body: out,
    dropped,
    response: (json) => chatAnswerToResponses(json, answer),
    stream: () => chatStreamToResponses(answer),
  };
};

function addItem(messages: Json[], item: Json, at: string, dropped: string[]): void {
  const type = item.type ?? "message";
  if (type === "message") {
    if (!["user", "assistant", "system", "developer"].includes(String(item.role)))
      throw untranslatable(`${at}.role`, "this role has no equivalent");
    messages.push({ role: item.role, content: content(item.content, `${at}.content`) });
  } else if (type === "function_call") {
    const call = { id: item.call_id, type: "function", function: { name: item.name, arguments: item.arguments ?? "" } };
    const last = messages.at(-1);
    if (last?.role === "assistant" && Array.isArray(last.tool_calls)) last.tool_calls.push(call);
    else messages.push({ role: "assistant", content: null, tool_calls: [call] });
  } else if (type === "function_call_output") {
    messages.push({
      role: "tool",
      tool_call_id: item.call_id,
      content: typeof item.output === "string" ? item.output : JSON.stringify(item.output ?? ""),
    });
  } else if (type === "reasoning") noteDropped(dropped, "input[].reasoning");
  else throw untranslatable(`${at}.type`, `${TARGET} has no equivalent for this item`);
}

function content(raw: unknown, at: string): unknown {
  if (typeof raw === "string") return raw;
  if (!Array.isArray(raw)) throw untranslatable(at, "content must be a string or a list of parts");
  const parts = raw.map((p, j) => {
    const part = asRecord(p) ?? {};
    if (part.type === "input_text" || part.type === "output_text")
      return { type: "text", text: String(part.text ?? "") };
    if (part.type === "input_image" && typeof part.image_url === "string")
      return { type: "image_url", image_url: { url: part.image_url } };
    throw untranslatable(`${at}[${j}].type`, `${TARGET} does not take this kind of content`);
  });
  return parts.length === 1 && parts[0]!.type === "text" ? parts[0]!.text : parts;
}

function convertTool(raw: unknown, i: number): Json {
  const tool = asRecord(raw) ?? {};
  if (tool.type !== "function")
    throw untranslatable(
      `tools[${i}].type`,
      "only function tools can be translated (built-in tools run at OpenAI only)",
    );
  const fn: Json = { name: tool.name, parameters: asRecord(tool.parameters) ?? { type: "object", properties: {} } };
  if (given(tool.description)) fn.description = tool.description;
  if (given(tool.strict)) fn.strict = tool.strict;
  return { type: "function", function: fn };
}

function toolChoice(choice: unknown): unknown {
  if (choice === "auto" || choice === "none" || choice === "required") return choice;
  const named = asRecord(choice);
  if (named?.type === "function" && typeof named.name === "string")
    return { type: "function", function: { name: named.name } };
  throw untranslatable("tool_choice", "only auto, none, required or a named function can be translated");
}

function responseFormat(format: Json): Json {
  if (format.type === "json_object") return { type: "json_object" };
  if (format.type === "json_schema")
    return {
      type: "json_schema",
      json_schema: {
        name: format.name,
        schema: format.schema,
        ...(given(format.strict) ? { strict: format.strict } : {}),
      },
    };
  throw untranslatable("text.format.type", "only text, json_object and json_schema can be translated");
}
