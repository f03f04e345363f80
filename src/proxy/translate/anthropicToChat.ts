import { asRecord } from "../../lib/json";
import type { SseOut, StreamStep, Json } from "./types";
import { unreadable } from "./types";
import { chatUsageOfAnthropic, finishOfStop } from "./vocab";

export interface ChatAnswer {
  /** The model id the client asked for. */
  model: string;
  created: number;
  /** The client asked for the usage chunk at the end of a stream (`stream_options.include_usage`). */
  includeUsage: boolean;
}

/**
 * An Anthropic message as an OpenAI chat completion. Text blocks join into `content`, tool_use
 * blocks become `tool_calls`, thinking becomes `reasoning_content` (its signature is dropped).
 */
export function anthropicAnswerToChat(json: Json, answer: ChatAnswer): Json {
  if (!Array.isArray(json.content)) throw unreadable("no content");
  let text = "";
  let reasoning = "";
  const calls: Json[] = [];
  for (const raw of json.content) {
    const block = asRecord(raw) ?? {};
    if (block.type === "text") text += String(block.text ?? "");
    else if (block.type === "thinking") reasoning += String(block.thinking ?? "");
    else if (block.type === "tool_use")
      calls.push({
        id: block.id,
        type: "function",
        function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) },
      });
  }
  const message: Json = { role: "assistant", content: calls.length > 0 && text === "" ? null : text, refusal: null };
  if (reasoning) message.reasoning_content = reasoning;
  if (calls.length > 0) message.tool_calls = calls;
  const out: Json = {
    id: String(json.id ?? ""),
    object: "chat.completion",
    created: answer.created,
    model: answer.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishOfStop(json.stop_reason) }],
  };
  const usage = asRecord(json.usage);
  if (usage) out.usage = chatUsageOfAnthropic(usage);
  return out;
}

/**
 * Anthropic's stream events (message_start, content_block_start/delta/stop, message_delta,
 * message_stop, ping) as OpenAI chat chunks: text deltas as `content`, each tool_use block as one
 * `tool_calls[i]` whose `input_json_delta` pieces become its `arguments` deltas verbatim, the stop
 * reason on the last choice chunk, then the usage chunk when asked for, then `[DONE]`.
 */
export function anthropicStreamToChat(answer: ChatAnswer): StreamStep {
  let id = "";
  let usage: Json = {};
  let finish = "stop";
  /** Anthropic block index → OpenAI tool call index. */
  const tools = new Map<number, number>();
  const chunk = (delta: Json, finishReason: string | null = null): SseOut => ({
    data: {
      id,
      object: "chat.completion.chunk",
      created: answer.created,
      model: answer.model,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    },
  });
  return (_name, data) => {
    if (data === "[DONE]") return [];
    const index = typeof data.index === "number" ? data.index : -1;
    switch (data.type) {
      case "message_start": {
        const message = asRecord(data.message) ?? {};
        id = String(message.id ?? "");
        usage = { ...usage, ...asRecord(message.usage) };
        return [chunk({ role: "assistant", content: "" })];
      }
      case "content_block_start": {
        const block = asRecord(data.content_block) ?? {};
        if (block.type === "text" && block.text) return [chunk({ content: block.text })];
        if (block.type !== "tool_use") return [];
        const n = tools.size;
        tools.set(index, n);
        return [
          chunk({
            tool_calls: [{ index: n, id: block.id, type: "function", function: { name: block.name, arguments: "" } }],
          }),
        ];
      }
      case "content_block_delta": {
        const delta = asRecord(data.delta) ?? {};
        if (delta.type === "text_delta") return [chunk({ content: delta.text })];
        if (delta.type === "thinking_delta") return [chunk({ reasoning_content: delta.thinking })];
        const n = tools.get(index);
        if (delta.type === "input_json_delta" && n !== undefined)
          return [chunk({ tool_calls: [{ index: n, function: { arguments: delta.partial_json } }] })];
        return [];
      }
      case "message_delta":
        usage = { ...usage, ...asRecord(data.usage) };
        finish = finishOfStop(asRecord(data.delta)?.stop_reason);
        return [];
      case "message_stop": {
        const out = [chunk({}, finish)];
        if (answer.includeUsage)
          out.push({
            data: {
              id,
              object: "chat.completion.chunk",
              created: answer.created,
              model: answer.model,
              choices: [],
              usage: chatUsageOfAnthropic(usage),
            },
          });
        out.push({ data: "[DONE]" });
        return out;
      }
      default:
        return [];
    }
  };
}
