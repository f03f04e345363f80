import { asRecord } from "../../lib/json";
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
import { geminiAnswerToChat, geminiStreamToChat } from "./geminiToChat";
import { given, untranslatable, type Json, type Translate } from "./types";

const TARGET = "Gemini's generateContent API";

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
    "response_format",
    "reasoning_effort",
    "n",
    "seed",
    "presence_penalty",
    "frequency_penalty",
  ],
  dropped: [
    "user",
    "safety_identifier",
    "metadata",
    "store",
    "service_tier",
    "prompt_cache_key",
    "parallel_tool_calls",
  ],
  neutral: { logprobs: false },
};

/** An OpenAI chat request for a Gemini model: `/v1/chat/completions` → `models/{model}:generateContent`. */
export const chatToGemini: Translate = (body, options) => {
  const dropped = checkFields(body, RULES, TARGET);
  const { system, contents } = convertMessages(body.messages, dropped);
  const out: Json = { contents };
  if (system.length > 0) out.systemInstruction = { parts: system.map((text) => ({ text })) };
  const config: Json = {};
  const maxTokens = body.max_completion_tokens ?? body.max_tokens;
  if (given(maxTokens)) config.maxOutputTokens = maxTokens;
  if (given(body.temperature)) config.temperature = body.temperature;
  if (given(body.top_p)) config.topP = body.top_p;
  if (given(body.stop)) config.stopSequences = Array.isArray(body.stop) ? body.stop : [body.stop];
  if (given(body.n) && body.n !== 1) config.candidateCount = body.n;
  if (given(body.seed)) config.seed = body.seed;
  if (given(body.presence_penalty)) config.presencePenalty = body.presence_penalty;
  if (given(body.frequency_penalty)) config.frequencyPenalty = body.frequency_penalty;
  Object.assign(config, responseFormat(body.response_format));
  if (given(body.reasoning_effort))
    config.thinkingConfig = {
      thinkingBudget: body.reasoning_effort === "none" ? 0 : thinkingBudget(body.reasoning_effort),
      includeThoughts: body.reasoning_effort !== "none",
    };
  if (Object.keys(config).length > 0) out.generationConfig = config;
  if (Array.isArray(body.tools) && body.tools.length > 0)
    out.tools = [{ functionDeclarations: body.tools.map((tool, i) => declaration(tool, i, dropped)) }];
  const choice = toolConfig(body.tool_choice);
  if (choice) out.toolConfig = choice;
  const answer = {
    model: options.clientModel,
    created: options.now,
    includeUsage: asRecord(body.stream_options)?.include_usage === true,
  };
  return {
    body: out,
    dropped,
    response: (json) => geminiAnswerToChat(json, answer),
    stream: () => geminiStreamToChat(answer),
  };
};

function thinkingBudget(effort: unknown): number {
  const budget = budgetOfEffort(effort);
  if (budget === null) throw untranslatable("reasoning_effort", "it must be none, minimal, low, medium or high");
  return budget;
}

function convertMessages(input: unknown, dropped: string[]): { system: string[]; contents: Json[] } {
  const system: string[] = [];
  const contents: Json[] = [];
  /** Function names by call id: Gemini answers a call by the function's name. */
  const names = new Map<string, string>();
  const push = (role: "user" | "model", parts: Json[]) => pushTurn(contents, role, "parts", parts);
  eachChatMessage(input, dropped, {
    system: (texts) => system.push(...texts),
    user: (m, at) => push("user", parts(m.content, at, dropped)),
    assistant(m, at) {
      const out = given(m.content) ? parts(m.content, at, dropped).filter((p) => p.text !== "") : [];
      if (Array.isArray(m.tool_calls))
        m.tool_calls.forEach((raw, j) => {
          const call = asRecord(raw) ?? {};
          const fn = asRecord(call.function) ?? {};
          names.set(String(call.id ?? ""), String(fn.name ?? ""));
          out.push({
            functionCall: {
              id: call.id,
              name: fn.name,
              args: args(fn.arguments, `${at}.tool_calls[${j}].function.arguments`),
            },
          });
        });
      push("model", out);
    },
    tool(m, at) {
      const id = String(m.tool_call_id ?? "");
      const name = names.get(id);
      if (name === undefined)
        throw untranslatable(
          `${at}.tool_call_id`,
          "Gemini needs the tool result to follow the assistant turn that called it",
        );
      const text = parts(m.content, at, dropped)
        .map((p) => p.text ?? "")
        .join("");
      push("user", [{ functionResponse: { id, name, response: { content: text } } }]);
    },
  });
  return { system, contents };
}

function parts(content: unknown, at: string, dropped: string[]): Json[] {
  if (typeof content === "string") return [{ text: content }];
  if (!Array.isArray(content)) throw untranslatable(`${at}.content`, "content must be a string or an array of parts");
  return content.map((raw, j) => {
    const part = asRecord(raw) ?? {};
    const where = `${at}.content[${j}]`;
    if (part.type === "text" || part.type === "refusal") return { text: String(part.text ?? part.refusal ?? "") };
    if (part.type === "image_url") {
      if (given(asRecord(part.image_url)?.detail)) noteDropped(dropped, "image_url.detail");
      const inline = dataUrl(String(asRecord(part.image_url)?.url ?? ""));
      if (inline) return { inlineData: { mimeType: inline.mediaType, data: inline.data } };
      throw untranslatable(
        `${where}.image_url.url`,
        "Gemini cannot fetch an image by URL; send it as a base64 data: URL",
      );
    }
    throw untranslatable(`${where}.type`, `${TARGET} does not take this kind of content through the gateway`);
  });
}

function args(raw: unknown, at: string): Json {
  try {
    const value = asRecord(JSON.parse(typeof raw === "string" && raw !== "" ? raw : "{}"));
    if (value) return value;
  } catch {
    // refused below
  }
  throw untranslatable(at, "the arguments must be a JSON object");
}

function declaration(raw: unknown, i: number, dropped: string[]): Json {
  const tool = asRecord(raw) ?? {};
  if (tool.type !== "function") throw untranslatable(`tools[${i}].type`, "only function tools can be translated");
  const fn = asRecord(tool.function) ?? {};
  if (given(fn.strict)) noteDropped(dropped, "tools[].function.strict");
  const out: Json = { name: fn.name };
  if (given(fn.description)) out.description = fn.description;
  if (given(fn.parameters)) out.parametersJsonSchema = fn.parameters;
  return out;
}

function toolConfig(choice: unknown): Json | null {
  if (!given(choice)) return null;
  const mode = (m: string, extra: Json = {}) => ({ functionCallingConfig: { mode: m, ...extra } });
  if (choice === "auto") return mode("AUTO");
  if (choice === "none") return mode("NONE");
  if (choice === "required") return mode("ANY");
  const name = asRecord(asRecord(choice)?.function)?.name;
  if (typeof name === "string") return mode("ANY", { allowedFunctionNames: [name] });
  throw untranslatable("tool_choice", "only auto, none, required or a named function can be translated");
}

function responseFormat(raw: unknown): Json {
  const format = asRecord(raw);
  if (!format || format.type === "text") return {};
  if (format.type === "json_object") return { responseMimeType: "application/json" };
  const schema = asRecord(format.json_schema)?.schema;
  if (format.type === "json_schema" && asRecord(schema))
    return { responseMimeType: "application/json", responseJsonSchema: schema };
  throw untranslatable("response_format", "only text, json_object and json_schema can be translated");
}
