/**
 * What the fake upstream says, in each provider wire format. Usage numbers are fixed so tests
 * can check that exactly these reached the usage sink.
 */
export const FAKE_USAGE = {
  chat: { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18, prompt_tokens_details: { cached_tokens: 3 } },
  embeddings: { prompt_tokens: 5, total_tokens: 5 },
  responses: {
    input_tokens: 13,
    output_tokens: 9,
    total_tokens: 22,
    input_tokens_details: { cached_tokens: 2 },
    output_tokens_details: { reasoning_tokens: 0 },
  },
  messages: { input_tokens: 15, output_tokens: 6, cache_read_input_tokens: 4, cache_creation_input_tokens: 1 },
};

export const sse = (data: unknown, event?: string) =>
  `${event ? `event: ${event}\n` : ""}data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`;

export function chatJson(model: string, text: string, completions: boolean) {
  const choice = completions
    ? { index: 0, text, finish_reason: "stop" }
    : { index: 0, message: { role: "assistant", content: text }, finish_reason: "stop" };
  return {
    id: "cmpl-1",
    object: completions ? "text_completion" : "chat.completion",
    created: 1,
    model,
    choices: [choice],
    usage: FAKE_USAGE.chat,
  };
}

export function chatChunk(model: string, piece: string, completions: boolean) {
  const choice = completions
    ? { index: 0, text: piece, finish_reason: null }
    : { index: 0, delta: { content: piece }, finish_reason: null };
  return sse({
    id: "cmpl-1",
    object: completions ? "text_completion" : "chat.completion.chunk",
    created: 1,
    model,
    choices: [choice],
  });
}

/** The closing events of an OpenAI stream: the usage-only chunk (when asked for) and `[DONE]`. */
export function chatEnd(model: string, withUsage: boolean) {
  const usage = withUsage
    ? sse({ id: "cmpl-1", object: "chat.completion.chunk", created: 1, model, choices: [], usage: FAKE_USAGE.chat })
    : "";
  return usage + sse("[DONE]");
}

export function embeddingsJson(model: string) {
  return {
    object: "list",
    data: [{ object: "embedding", index: 0, embedding: [0.1, 0.2, 0.3] }],
    model,
    usage: FAKE_USAGE.embeddings,
  };
}

function response(model: string, text: string, done: boolean) {
  const output = done
    ? [
        {
          type: "message",
          id: "msg_1",
          status: "completed",
          role: "assistant",
          content: [{ type: "output_text", text, annotations: [] }],
        },
      ]
    : [];
  return {
    id: "resp_1",
    object: "response",
    created_at: 1,
    status: done ? "completed" : "in_progress",
    model,
    output,
    usage: done ? FAKE_USAGE.responses : null,
  };
}

export const responsesJson = (model: string, text: string) => response(model, text, true);
export const responsesStart = (model: string) =>
  sse({ type: "response.created", sequence_number: 0, response: response(model, "", false) }, "response.created");
export const responsesDelta = (piece: string, n: number) =>
  sse(
    {
      type: "response.output_text.delta",
      sequence_number: n,
      item_id: "msg_1",
      output_index: 0,
      content_index: 0,
      delta: piece,
    },
    "response.output_text.delta",
  );
export const responsesEnd = (model: string, text: string) =>
  sse({ type: "response.completed", sequence_number: 99, response: response(model, text, true) }, "response.completed");

export function messagesJson(model: string, text: string) {
  return {
    id: "msg_1",
    type: "message",
    role: "assistant",
    model,
    content: [{ type: "text", text }],
    stop_reason: "end_turn",
    stop_sequence: null,
    usage: FAKE_USAGE.messages,
  };
}

export function messagesStart(model: string) {
  const usage = { ...FAKE_USAGE.messages, output_tokens: 1 };
  const message = {
    id: "msg_1",
    type: "message",
    role: "assistant",
    model,
    content: [],
    stop_reason: null,
    stop_sequence: null,
    usage,
  };
  return (
    sse({ type: "message_start", message }, "message_start") +
    sse({ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }, "content_block_start") +
    sse({ type: "ping" }, "ping")
  );
}

export const messagesDelta = (piece: string) =>
  sse({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text: piece } }, "content_block_delta");

export function messagesEnd() {
  return (
    sse({ type: "content_block_stop", index: 0 }, "content_block_stop") +
    sse(
      {
        type: "message_delta",
        delta: { stop_reason: "end_turn", stop_sequence: null },
        usage: { output_tokens: FAKE_USAGE.messages.output_tokens },
      },
      "message_delta",
    ) +
    sse({ type: "message_stop" }, "message_stop")
  );
}

/** Gemini's `usageMetadata` the fake reports (prompt includes the cached part; thoughts are output). */
export const GEMINI_USAGE = {
  promptTokenCount: 17,
  candidatesTokenCount: 8,
  thoughtsTokenCount: 2,
  cachedContentTokenCount: 5,
  totalTokenCount: 27,
};

function geminiResponse(parts: unknown[], finish: string | null, usage: boolean) {
  const candidate = { content: { role: "model", parts }, index: 0, ...(finish ? { finishReason: finish } : {}) };
  return {
    candidates: [candidate],
    ...(usage ? { usageMetadata: GEMINI_USAGE } : {}),
    modelVersion: "gemini-fake",
    responseId: "gem-1",
  };
}

export const geminiJson = (text: string) => geminiResponse([{ text }], "STOP", true);
export const geminiChunk = (piece: string) => sse(geminiResponse([{ text: piece }], null, false));
export const geminiEnd = () => sse(geminiResponse([{ text: "" }], "STOP", true));

/**
 * The tool calls the fake makes when asked for model `tools`: two calls in one turn, their
 * arguments streamed in 5-character pieces (so tokens and escapes are split mid-way).
 */
export interface ToolCall {
  id: string;
  name: string;
  /** The arguments as JSON text, exactly as the provider sends them. */
  arguments: string;
}

export const TOOL_CALLS: ToolCall[] = [
  {
    id: "call_weather_1",
    name: "get_weather",
    arguments: '{"city": "Paris", "unit": "celsius", "note": "caf\\u00e9 \\"terrace\\""}',
  },
  { id: "call_time_2", name: "get_time", arguments: '{"tz":"Europe/Paris"}' },
];
const pieces = (text: string) => text.match(/[\s\S]{1,5}/g) ?? [];

export function chatToolJson(model: string, calls: ToolCall[]) {
  const tool_calls = calls.map((c) => ({
    id: c.id,
    type: "function",
    function: { name: c.name, arguments: c.arguments },
  }));
  return {
    id: "cmpl-t",
    object: "chat.completion",
    created: 1,
    model,
    choices: [{ index: 0, message: { role: "assistant", content: null, tool_calls }, finish_reason: "tool_calls" }],
    usage: FAKE_USAGE.chat,
  };
}

export function chatToolStream(model: string, withUsage: boolean, calls: ToolCall[]): string[] {
  const chunk = (delta: unknown, finish: string | null = null) =>
    sse({
      id: "cmpl-t",
      object: "chat.completion.chunk",
      created: 1,
      model,
      choices: [{ index: 0, delta, finish_reason: finish }],
    });
  const out = [chunk({ role: "assistant", content: null })];
  calls.forEach((c, index) => {
    out.push(chunk({ tool_calls: [{ index, id: c.id, type: "function", function: { name: c.name, arguments: "" } }] }));
    for (const piece of pieces(c.arguments))
      out.push(chunk({ tool_calls: [{ index, function: { arguments: piece } }] }));
  });
  out.push(chunk({}, "tool_calls"), chatEnd(model, withUsage));
  return out;
}

export function messagesToolJson(model: string, calls: ToolCall[]) {
  const content = calls.map((c) => ({ type: "tool_use", id: c.id, name: c.name, input: JSON.parse(c.arguments) }));
  return {
    id: "msg_t",
    type: "message",
    role: "assistant",
    model,
    content,
    stop_reason: "tool_use",
    stop_sequence: null,
    usage: FAKE_USAGE.messages,
  };
}

export function messagesToolStream(model: string, calls: ToolCall[]): string[] {
  const usage = { ...FAKE_USAGE.messages, output_tokens: 1 };
  const out = [
    sse(
      {
        type: "message_start",
        message: {
          id: "msg_t",
          type: "message",
          role: "assistant",
          model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage,
        },
      },
      "message_start",
    ),
  ];
  calls.forEach((c, index) => {
    out.push(
      sse(
        { type: "content_block_start", index, content_block: { type: "tool_use", id: c.id, name: c.name, input: {} } },
        "content_block_start",
      ),
    );
    for (const piece of pieces(c.arguments))
      out.push(
        sse(
          { type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json: piece } },
          "content_block_delta",
        ),
      );
    out.push(sse({ type: "content_block_stop", index }, "content_block_stop"));
  });
  out.push(
    sse(
      {
        type: "message_delta",
        delta: { stop_reason: "tool_use", stop_sequence: null },
        usage: { output_tokens: FAKE_USAGE.messages.output_tokens },
      },
      "message_delta",
    ),
  );
  out.push(sse({ type: "message_stop" }, "message_stop"));
  return out;
}

const geminiCalls = (calls: ToolCall[]) =>
  calls.map((c) => ({ functionCall: { id: c.id, name: c.name, args: JSON.parse(c.arguments) } }));
export const geminiToolJson = (calls: ToolCall[]) => geminiResponse(geminiCalls(calls), "STOP", true);
/** Gemini sends function calls whole: a text chunk, then both calls with the finish reason and usage. */
export const geminiToolStream = (calls: ToolCall[]) => [
  sse(geminiResponse([{ text: "Checking." }], null, false)),
  sse(geminiResponse(geminiCalls(calls), "STOP", true)),
];
