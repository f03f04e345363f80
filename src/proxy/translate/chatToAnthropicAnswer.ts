import { asRecord } from "../../lib/json";
import { unreadable, type Json, type SseOut, type StreamStep } from "./types";
import { anthropicUsageOfChat, stopOfFinish } from "./vocab";

interface AnthropicAnswer {
  /** The model id the client asked for. */
  model: string;
}

/** Tool arguments as Anthropic's `input` object; a provider sending anything else is a failed answer. */
function toolInput(args: unknown): Json {
  try {
    const input = asRecord(JSON.parse(typeof args === "string" && args !== "" ? args : "{}"));
    if (input) return input;
  } catch {
    // reported below
  }
  throw unreadable("tool arguments that are not a JSON object");
}

/** An OpenAI chat completion as an Anthropic message: `reasoning_content`, text and tool calls become blocks. */
export function chatAnswerToAnthropic(json: Json, answer: AnthropicAnswer): Json {
  const choice = asRecord(Array.isArray(json.choices) ? json.choices[0] : null);
  const message = asRecord(choice?.message);
  if (!choice || !message) throw unreadable("no choice");
  const content: Json[] = [];
  if (typeof message.reasoning_content === "string" && message.reasoning_content)
    content.push({ type: "thinking", thinking: message.reasoning_content, signature: "" });
  if (typeof message.content === "string" && message.content) content.push({ type: "text", text: message.content });
  if (Array.isArray(message.tool_calls))
    for (const raw of message.tool_calls) {
      const call = asRecord(raw) ?? {};
      const fn = asRecord(call.function) ?? {};
      content.push({ type: "tool_use", id: call.id, name: fn.name, input: toolInput(fn.arguments) });
    }
  const usage = asRecord(json.usage);
  return {
    id: String(json.id ?? ""),
    type: "message",
    role: "assistant",
    model: answer.model,
    content,
    stop_reason: stopOfFinish(choice.finish_reason),
    stop_sequence: null,
    usage: usage ? anthropicUsageOfChat(usage) : { input_tokens: 0, output_tokens: 0 },
  };
}

type Open = { kind: "text" | "thinking" } | { kind: "tool"; call: number };

/**
 * OpenAI chat chunks as Anthropic's event sequence: `message_start`, then one content block per
 * run of reasoning, text or tool call (`content_block_start` / `_delta` / `_stop`), each tool
 * call's `arguments` deltas passed on verbatim as `input_json_delta`, and at `[DONE]`
 * `message_delta` (stop reason and the usage the request asked the provider for) and `message_stop`.
 */
export function chatStreamToAnthropic(answer: AnthropicAnswer): StreamStep {
  let started = false;
  let index = -1;
  let open: Open | null = null;
  let stop = "end_turn";
  let usage: Json = { input_tokens: 0, output_tokens: 0 };
  const event = (data: Json): SseOut => ({ event: data.type as string, data });
  const close = (out: SseOut[]) => {
    if (open) out.push(event({ type: "content_block_stop", index }));
    open = null;
  };
  const begin = (out: SseOut[], next: Open, block: Json) => {
    close(out);
    open = next;
    index++;
    out.push(event({ type: "content_block_start", index, content_block: block }));
  };
  return (_name, data) => {
    const out: SseOut[] = [];
    if (data === "[DONE]") {
      close(out);
      out.push(
        event({ type: "message_delta", delta: { stop_reason: stop, stop_sequence: null }, usage }),
        event({ type: "message_stop" }),
      );
      return out;
    }
    if (!started) {
      started = true;
      const message = {
        id: String(data.id ?? ""),
        type: "message",
        role: "assistant",
        model: answer.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 0, output_tokens: 0 },
      };
      out.push(event({ type: "message_start", message }));
    }
    const chunkUsage = asRecord(data.usage);
    if (chunkUsage) usage = anthropicUsageOfChat(chunkUsage);
    const choice = asRecord(Array.isArray(data.choices) ? data.choices[0] : null);
    const delta = asRecord(choice?.delta) ?? {};
    const reasoning = delta.reasoning_content ?? delta.reasoning;
    if (typeof reasoning === "string" && reasoning) {
      if (open?.kind !== "thinking")
        begin(out, { kind: "thinking" }, { type: "thinking", thinking: "", signature: "" });
      out.push(event({ type: "content_block_delta", index, delta: { type: "thinking_delta", thinking: reasoning } }));
    }
    if (typeof delta.content === "string" && delta.content) {
      if (open?.kind !== "text") begin(out, { kind: "text" }, { type: "text", text: "" });
      out.push(event({ type: "content_block_delta", index, delta: { type: "text_delta", text: delta.content } }));
    }
    if (Array.isArray(delta.tool_calls))
      for (const raw of delta.tool_calls) {
        const call = asRecord(raw) ?? {};
        const fn = asRecord(call.function) ?? {};
        const n = typeof call.index === "number" ? call.index : 0;
        if (open?.kind !== "tool" || open.call !== n)
          begin(out, { kind: "tool", call: n }, { type: "tool_use", id: call.id, name: fn.name, input: {} });
        if (typeof fn.arguments === "string" && fn.arguments)
          out.push(
            event({
              type: "content_block_delta",
              index,
              delta: { type: "input_json_delta", partial_json: fn.arguments },
            }),
          );
      }
    if (typeof choice?.finish_reason === "string") stop = stopOfFinish(choice.finish_reason);
    return out;
  };
}
