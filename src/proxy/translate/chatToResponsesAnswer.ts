import { count } from "../tokens";
import { asRecord } from "../../lib/json";
import { unreadable, type Json, type SseOut, type StreamStep } from "./types";

interface ResponsesAnswer {
  /** The model id the client asked for. */
  model: string;
  created: number;
}

/** Chat usage as the Responses API reports it. */
function responsesUsage(u: Json | null): Json | null {
  if (!u) return null;
  const input = count(u.prompt_tokens);
  const output = count(u.completion_tokens);
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: count(asRecord(u.prompt_tokens_details)?.cached_tokens) },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: count(asRecord(u.completion_tokens_details)?.reasoning_tokens) },
    total_tokens: input + output,
  };
}

const messageItem = (id: string, text: string, status: string) => ({
  type: "message",
  id,
  status,
  role: "assistant",
  content: status === "completed" ? [outputText(text)] : [],
});
const outputText = (text: string) => ({ type: "output_text", text, annotations: [] });
const callItem = (id: string, callId: unknown, name: unknown, args: string, status: string) => ({
  type: "function_call",
  id,
  call_id: callId,
  name,
  arguments: args,
  status,
});

function response(
  id: string,
  answer: ResponsesAnswer,
  status: string,
  output: Json[],
  usage: Json | null,
  finish: unknown,
): Json {
  return {
    id,
    object: "response",
    created_at: answer.created,
    status,
    model: answer.model,
    output,
    incomplete_details:
      finish === "length"
        ? { reason: "max_output_tokens" }
        : finish === "content_filter"
          ? { reason: "content_filter" }
          : null,
    error: null,
    usage,
  };
}

const statusOf = (finish: unknown) => (finish === "length" || finish === "content_filter" ? "incomplete" : "completed");

/** A chat completion as a Responses object: a message item for the text, a function_call item per tool call. */
export function chatAnswerToResponses(json: Json, answer: ResponsesAnswer): Json {
  const choice = asRecord(Array.isArray(json.choices) ? json.choices[0] : null);
  const message = asRecord(choice?.message);
  if (!choice || !message) throw unreadable("no choice");
  const id = `resp_${String(json.id ?? "")}`;
  const output: Json[] = [];
  if (typeof message.content === "string" && message.content)
    output.push(messageItem(`msg_${String(json.id ?? "")}`, message.content, "completed"));
  if (Array.isArray(message.tool_calls))
    message.tool_calls.forEach((raw, i) => {
      const call = asRecord(raw) ?? {};
      const fn = asRecord(call.function) ?? {};
      output.push(callItem(`fc_${i}`, call.id, fn.name, String(fn.arguments ?? ""), "completed"));
    });
  return response(
    id,
    answer,
    statusOf(choice.finish_reason),
    output,
    responsesUsage(asRecord(json.usage)),
    choice.finish_reason,
  );
}

type Item =
  | { kind: "message"; id: string; text: string }
  | { kind: "call"; id: string; callId: unknown; name: unknown; args: string };

/**
 * Chat chunks as the Responses event stream's common subset: `response.created`, per output item
 * `response.output_item.added`, text as `response.content_part.added` / `response.output_text.delta`
 * / `.done` / `response.content_part.done`, tool calls as `response.function_call_arguments.delta`
 * / `.done`, `response.output_item.done`, and at `[DONE]` `response.completed` (or `.incomplete`)
 * with every item and the usage. The items' text is held in memory for the closing events only.
 */
export function chatStreamToResponses(answer: ResponsesAnswer): StreamStep {
  let id = "";
  let sequence = 0;
  let usage: Json | null = null;
  let finish: unknown = null;
  const items: Item[] = [];
  /** Chat tool call index → output index. */
  const calls = new Map<number, number>();
  let open: number | null = null;
  const event = (type: string, data: Json): SseOut => ({
    event: type,
    data: { type, sequence_number: sequence++, ...data },
  });
  const finished = (item: Item): Json =>
    item.kind === "message"
      ? messageItem(item.id, item.text, "completed")
      : callItem(item.id, item.callId, item.name, item.args, "completed");
  const close = (out: SseOut[]) => {
    if (open === null) return;
    const item = items[open]!;
    if (item.kind === "message") {
      out.push(
        event("response.output_text.done", { item_id: item.id, output_index: open, content_index: 0, text: item.text }),
      );
      out.push(
        event("response.content_part.done", {
          item_id: item.id,
          output_index: open,
          content_index: 0,
          part: outputText(item.text),
        }),
      );
    } else
      out.push(
        event("response.function_call_arguments.done", { item_id: item.id, output_index: open, arguments: item.args }),
      );
    out.push(event("response.output_item.done", { output_index: open, item: finished(item) }));
    open = null;
  };
  const begin = (out: SseOut[], item: Item) => {
    close(out);
    open = items.push(item) - 1;
    const added =
      item.kind === "message"
        ? messageItem(item.id, "", "in_progress")
        : callItem(item.id, item.callId, item.name, "", "in_progress");
    out.push(event("response.output_item.added", { output_index: open, item: added }));
    if (item.kind === "message")
      out.push(
        event("response.content_part.added", {
          item_id: item.id,
          output_index: open,
          content_index: 0,
          part: outputText(""),
        }),
      );
  };
  return (_name, data) => {
    const out: SseOut[] = [];
    if (data === "[DONE]") {
      close(out);
      const status = statusOf(finish);
      out.push(
        event(status === "completed" ? "response.completed" : "response.incomplete", {
          response: response(id, answer, status, items.map(finished), usage, finish),
        }),
      );
      return out;
    }
    if (!id) {
      id = `resp_${String(data.id ?? "")}`;
      out.push(event("response.created", { response: response(id, answer, "in_progress", [], null, null) }));
    }
    usage = responsesUsage(asRecord(data.usage)) ?? usage;
    const choice = asRecord(Array.isArray(data.choices) ? data.choices[0] : null);
    const delta = asRecord(choice?.delta) ?? {};
    if (typeof delta.content === "string" && delta.content) {
      if (open === null || items[open]!.kind !== "message")
        begin(out, { kind: "message", id: `msg_${String(data.id ?? "")}_${items.length}`, text: "" });
      const item = items[open!]! as Item & { kind: "message" };
      item.text += delta.content;
      out.push(
        event("response.output_text.delta", {
          item_id: item.id,
          output_index: open,
          content_index: 0,
          delta: delta.content,
        }),
      );
    }
    if (Array.isArray(delta.tool_calls))
      for (const raw of delta.tool_calls) {
        const call = asRecord(raw) ?? {};
        const fn = asRecord(call.function) ?? {};
        const n = typeof call.index === "number" ? call.index : 0;
        if (!calls.has(n)) {
          begin(out, { kind: "call", id: `fc_${n}`, callId: call.id, name: fn.name, args: "" });
          calls.set(n, open!);
        }
        const at = calls.get(n)!;
        const item = items[at]! as Item & { kind: "call" };
        if (typeof fn.arguments === "string" && fn.arguments) {
          item.args += fn.arguments;
          out.push(
            event("response.function_call_arguments.delta", {
              item_id: item.id,
              output_index: at,
              delta: fn.arguments,
            }),
          );
        }
      }
    if (typeof choice?.finish_reason === "string") finish = choice.finish_reason;
    return out;
  };
}
