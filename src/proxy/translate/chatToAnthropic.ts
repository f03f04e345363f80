import { asRecord } from "../../lib/json";
import { anthropicAnswerToChat, anthropicStreamToChat } from "./anthropicToChat";
import {
  budgetOfEffort,
  checkFields,
  KNOWN_FIELDS,
  dataUrl,
  eachChatMessage,
  noteDropped,
  pushTurn,
  type FieldRules,
} from "./fields";
import { given, untranslatable, type Json, type Translate } from "./types";

const TARGET = "Anthropic's Messages API";

const RULES: FieldRules = {
  known: KNOWN_FIELDS.chat,
  mapped: [
    "model",
    "messages",
    "max_tokens",
    "max_completion_tokens",
    "temperature",
    "top_p",
    "stop",
    "stream",
    "stream_options",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "response_format",
    "user",
    "safety_identifier",
    "reasoning_effort",
    "n",
  ],
  dropped: ["metadata", "store", "seed", "service_tier", "prompt_cache_key"],
  neutral: { presence_penalty: 0, frequency_penalty: 0, logprobs: false },
};

/** An OpenAI chat request for an Anthropic model: `/v1/chat/completions` → `/v1/messages`. */
export const chatToAnthropic: Translate = (body, options) => {
  const dropped = checkFields(body, RULES, TARGET);
  if (given(body.n) && body.n !== 1) throw untranslatable("n", `${TARGET} returns one choice`);
  const out: Json = { model: options.upstreamModel };
  const { system, messages } = convertMessages(body.messages, dropped);
  if (system.length > 0) out.system = system.length === 1 ? system[0]!.text : system;
  out.messages = messages;
  const maxTokens = body.max_completion_tokens ?? body.max_tokens ?? options.maxTokensDefault;
  out.max_tokens = maxTokens;
  if (given(body.temperature)) {
    if (typeof body.temperature === "number" && body.temperature > 1)
      throw untranslatable("temperature", `${TARGET} takes 0 to 1`);
    out.temperature = body.temperature;
  }
  if (given(body.top_p)) out.top_p = body.top_p;
  if (given(body.stop)) out.stop_sequences = Array.isArray(body.stop) ? body.stop : [body.stop];
  if (body.stream === true) out.stream = true;
  const user = body.safety_identifier ?? body.user;
  if (typeof user === "string") out.metadata = { user_id: user };
  if (given(body.response_format) && asRecord(body.response_format)?.type !== "text")
    throw untranslatable(
      "response_format",
      `${TARGET} has no JSON mode; describe the format in the prompt or use a tool`,
    );
  if (Array.isArray(body.tools) && body.tools.length > 0)
    out.tools = body.tools.map((tool, i) => convertTool(tool, i, dropped));
  const choice = toolChoice(body.tool_choice, body.parallel_tool_calls);
  if (choice) out.tool_choice = choice;
  if (given(body.reasoning_effort) && body.reasoning_effort !== "none") {
    out.thinking = thinking(body.reasoning_effort, maxTokens);
    noteDropped(dropped, "thinking.signature");
  }
  const includeUsage = asRecord(body.stream_options)?.include_usage === true;
  const answer = { model: options.clientModel, created: options.now, includeUsage };
  return {
    body: out,
    dropped,
    response: (json) => anthropicAnswerToChat(json, answer),
    stream: () => anthropicStreamToChat(answer),
  };
};

type Block = Json & { type: string };
type SystemBlock = { type: "text"; text: string };

function convertMessages(input: unknown, dropped: string[]): { system: SystemBlock[]; messages: Json[] } {
  const system: SystemBlock[] = [];
  const messages: Json[] = [];
  const push = (role: string, blocks: Block[]) => pushTurn(messages, role, "content", blocks);
  eachChatMessage(input, dropped, {
    system: (texts) => system.push(...texts.map((text) => ({ type: "text" as const, text }))),
    user: (m, at) => push("user", userBlocks(m.content, at, dropped)),
    assistant(m, at) {
      const blocks = given(m.content)
        ? userBlocks(m.content, at, dropped).filter((b) => b.type !== "text" || b.text !== "")
        : [];
      if (Array.isArray(m.tool_calls))
        for (const [j, call] of m.tool_calls.entries()) blocks.push(toolUse(call, `${at}.tool_calls[${j}]`));
      push("assistant", blocks);
    },
    tool(m, at) {
      const content = typeof m.content === "string" ? m.content : userBlocks(m.content, at, dropped);
      push("user", [{ type: "tool_result", tool_use_id: String(m.tool_call_id ?? ""), content }]);
    },
  });
  return { system, messages };
}

function userBlocks(content: unknown, at: string, dropped: string[]): Block[] {
  if (typeof content === "string") return [{ type: "text", text: content }];
  if (!Array.isArray(content)) throw untranslatable(`${at}.content`, "content must be a string or an array of parts");
  return content.map((raw, j) => {
    const part = asRecord(raw) ?? {};
    const where = `${at}.content[${j}]`;
    if (part.type === "text" || part.type === "refusal")
      return { type: "text", text: String(part.text ?? part.refusal ?? "") };
    if (part.type === "image_url") {
      const url = String(asRecord(part.image_url)?.url ?? "");
      if (given(asRecord(part.image_url)?.detail)) noteDropped(dropped, "image_url.detail");
      const inline = dataUrl(url);
      if (inline) return { type: "image", source: { type: "base64", media_type: inline.mediaType, data: inline.data } };
      if (/^https?:\/\//.test(url)) return { type: "image", source: { type: "url", url } };
      throw untranslatable(`${where}.image_url.url`, "an image must be a data: URL or an http(s) URL");
    }
    throw untranslatable(`${where}.type`, `${TARGET} does not take this kind of content`);
  });
}

function toolUse(raw: unknown, at: string): Block {
  const call = asRecord(raw) ?? {};
  const fn = asRecord(call.function) ?? {};
  let input: unknown;
  try {
    input = JSON.parse(typeof fn.arguments === "string" && fn.arguments !== "" ? fn.arguments : "{}");
  } catch {
    throw untranslatable(`${at}.function.arguments`, "the arguments are not valid JSON");
  }
  if (!asRecord(input)) throw untranslatable(`${at}.function.arguments`, "the arguments must be a JSON object");
  return { type: "tool_use", id: String(call.id ?? ""), name: String(fn.name ?? ""), input };
}

function convertTool(raw: unknown, i: number, dropped: string[]): Json {
  const tool = asRecord(raw) ?? {};
  if (tool.type !== "function") throw untranslatable(`tools[${i}].type`, "only function tools can be translated");
  const fn = asRecord(tool.function) ?? {};
  if (given(fn.strict)) noteDropped(dropped, "tools[].function.strict");
  const out: Json = { name: fn.name, input_schema: asRecord(fn.parameters) ?? { type: "object", properties: {} } };
  if (given(fn.description)) out.description = fn.description;
  return out;
}

function toolChoice(choice: unknown, parallel: unknown): Json | null {
  const noParallel = parallel === false ? { disable_parallel_tool_use: true } : {};
  if (!given(choice)) return parallel === false ? { type: "auto", ...noParallel } : null;
  if (choice === "auto") return { type: "auto", ...noParallel };
  if (choice === "required") return { type: "any", ...noParallel };
  if (choice === "none") return { type: "none" };
  const name = asRecord(asRecord(choice)?.function)?.name;
  if (typeof name === "string") return { type: "tool", name, ...noParallel };
  throw untranslatable("tool_choice", "only auto, none, required or a named function can be translated");
}

function thinking(effort: unknown, maxTokens: unknown): Json {
  const wanted = budgetOfEffort(effort);
  if (wanted === null) throw untranslatable("reasoning_effort", "it must be minimal, low, medium or high");
  const budget = Math.min(wanted, typeof maxTokens === "number" ? maxTokens - 1 : wanted);
  if (budget < 1024) throw untranslatable("reasoning_effort", "Anthropic needs max_tokens above 1024 to think");
  return { type: "enabled", budget_tokens: budget };
}
