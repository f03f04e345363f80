import { asRecord } from "../../lib/json";
import type { ChatAnswer } from "./anthropicToChat";
import { unreadable, type Json, type SseOut, type StreamStep } from "./types";
import { chatUsageOfGemini, finishOfGemini } from "./vocab";

/** One candidate's parts as chat fields; `callBase` numbers the calls of a stream across chunks. */
function readParts(candidate: Json, callBase: number): { text: string; reasoning: string; calls: Json[] } {
  let text = "";
  let reasoning = "";
  const calls: Json[] = [];
  const parts = asRecord(candidate.content)?.parts;
  if (Array.isArray(parts))
    for (const raw of parts) {
      const part = asRecord(raw) ?? {};
      const call = asRecord(part.functionCall);
      if (call) {
        const index = callBase + calls.length;
        calls.push({
          index,
          id: typeof call.id === "string" && call.id ? call.id : `call_${index}`,
          type: "function",
          function: { name: call.name, arguments: JSON.stringify(call.args ?? {}) },
        });
      } else if (typeof part.text === "string") {
        if (part.thought === true) reasoning += part.text;
        else text += part.text;
      }
    }
  return { text, reasoning, calls };
}

/** A Gemini `GenerateContentResponse` as an OpenAI chat completion (one choice per candidate). */
export function geminiAnswerToChat(json: Json, answer: ChatAnswer): Json {
  if (!Array.isArray(json.candidates)) throw unreadable("no candidates");
  const choices = json.candidates.map((raw, i) => {
    const candidate = asRecord(raw) ?? {};
    const { text, reasoning, calls } = readParts(candidate, 0);
    const message: Json = { role: "assistant", content: calls.length > 0 && text === "" ? null : text, refusal: null };
    if (reasoning) message.reasoning_content = reasoning;
    if (calls.length > 0) message.tool_calls = calls.map(({ index: _index, ...call }) => call);
    return {
      index: i,
      message,
      logprobs: null,
      finish_reason: finishOfGemini(candidate.finishReason, calls.length > 0),
    };
  });
  const out: Json = {
    id: String(json.responseId ?? ""),
    object: "chat.completion",
    created: answer.created,
    model: answer.model,
    choices,
  };
  const usage = asRecord(json.usageMetadata);
  if (usage) out.usage = chatUsageOfGemini(usage);
  return out;
}

/**
 * Gemini's stream (each event a whole `GenerateContentResponse` holding the new parts) as chat
 * chunks. A function call arrives whole, so its arguments go out in one delta. The chunk with a
 * `finishReason` closes the answer: the finish chunk, the usage chunk when asked for, `[DONE]`.
 */
export function geminiStreamToChat(answer: ChatAnswer): StreamStep {
  let id = "";
  let started = false;
  let calls = 0;
  const chunk = (choices: Json[], usage?: Json): SseOut => ({
    data: {
      id,
      object: "chat.completion.chunk",
      created: answer.created,
      model: answer.model,
      choices,
      ...(usage ? { usage } : {}),
    },
  });
  const choice = (delta: Json, finish: string | null = null) => ({
    index: 0,
    delta,
    logprobs: null,
    finish_reason: finish,
  });
  return (_name, data) => {
    if (data === "[DONE]") return [];
    const out: SseOut[] = [];
    if (!started) {
      started = true;
      id = String(data.responseId ?? "");
      out.push(chunk([choice({ role: "assistant", content: "" })]));
    }
    const candidate = asRecord(Array.isArray(data.candidates) ? data.candidates[0] : null);
    if (!candidate) return out;
    const { text, reasoning, calls: found } = readParts(candidate, calls);
    calls += found.length;
    if (reasoning) out.push(chunk([choice({ reasoning_content: reasoning })]));
    if (text) out.push(chunk([choice({ content: text })]));
    if (found.length > 0) out.push(chunk([choice({ tool_calls: found })]));
    if (candidate.finishReason) {
      out.push(chunk([choice({}, finishOfGemini(candidate.finishReason, calls > 0))]));
      const usage = asRecord(data.usageMetadata);
      if (answer.includeUsage && usage) out.push(chunk([], chatUsageOfGemini(usage)));
      out.push({ data: "[DONE]" });
    }
    return out;
  };
}
