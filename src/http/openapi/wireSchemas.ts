import { Type as t, type TSchema } from "@sinclair/typebox";

/**
 * The main shapes of the model API, as the providers define them, for the published document
 * only: the gateway validates `model` and `stream` and relays every other field as it came, so
 * these are open (`additionalProperties` allowed) and list the fields clients rely on.
 */
const open = { additionalProperties: true } as const;
/**
 * A request the gateway checks only in `model` and `stream` (the route's ModelRequest); every
 * other field is the provider's to judge, so a wrong one comes back as the provider's 4xx.
 */
const relayed = { ...open, "x-kriora-checked": ["model", "stream"] } as const;
const ref = (name: string) => t.Unsafe({ $ref: `#/components/schemas/${name}` });

const Usage = t.Object(
  {
    prompt_tokens: t.Integer(),
    completion_tokens: t.Integer(),
    total_tokens: t.Integer(),
    cost: t.Optional(t.Number({ description: "USD, added by Kriora to a stream's final usage" })),
  },
  open,
);

const ChatMessage = t.Object(
  {
    role: t.String({ description: "system, developer, user, assistant or tool" }),
    content: t.Union([t.String(), t.Array(t.Object({ type: t.String() }, open)), t.Null()]),
    name: t.Optional(t.String()),
    tool_call_id: t.Optional(t.String()),
    tool_calls: t.Optional(
      t.Array(
        t.Object(
          { id: t.String(), type: t.String(), function: t.Object({ name: t.String(), arguments: t.String() }) },
          open,
        ),
      ),
    ),
  },
  open,
);

const AnthropicContent = t.Object(
  { type: t.String({ description: "text, image, tool_use, tool_result …" }), text: t.Optional(t.String()) },
  open,
);
const AnthropicUsage = t.Object(
  {
    input_tokens: t.Integer(),
    output_tokens: t.Integer(),
    cache_read_input_tokens: t.Optional(t.Union([t.Integer(), t.Null()])),
    cache_creation_input_tokens: t.Optional(t.Union([t.Integer(), t.Null()])),
  },
  open,
);

/** Named component schemas of the model API (`components.schemas`). */
export const wireSchemas: Record<string, TSchema> = {
  ChatMessage,
  ChatCompletionRequest: t.Object(
    {
      model: t.String({ description: "A model id from GET /v1/models" }),
      messages: t.Array(ref("ChatMessage")),
      stream: t.Optional(
        t.Boolean({ description: "Server-sent events of ChatCompletionChunk, ending with `data: [DONE]`" }),
      ),
      stream_options: t.Optional(t.Object({ include_usage: t.Optional(t.Boolean()) }, open)),
      max_tokens: t.Optional(t.Integer()),
      max_completion_tokens: t.Optional(t.Integer()),
      temperature: t.Optional(t.Number()),
      top_p: t.Optional(t.Number()),
      tools: t.Optional(t.Array(t.Object({ type: t.String() }, open))),
      user: t.Optional(t.String()),
    },
    relayed,
  ),
  ChatCompletion: t.Object(
    {
      id: t.String(),
      object: t.Literal("chat.completion"),
      created: t.Integer(),
      model: t.String(),
      choices: t.Array(
        t.Object(
          { index: t.Integer(), message: ref("ChatMessage"), finish_reason: t.Union([t.String(), t.Null()]) },
          open,
        ),
      ),
      usage: t.Optional(ref("Usage")),
    },
    open,
  ),
  ChatCompletionChunk: t.Object(
    {
      id: t.String(),
      object: t.Literal("chat.completion.chunk"),
      created: t.Integer(),
      model: t.String(),
      choices: t.Array(
        t.Object(
          {
            index: t.Integer(),
            delta: t.Object(
              { role: t.Optional(t.String()), content: t.Optional(t.Union([t.String(), t.Null()])) },
              open,
            ),
            finish_reason: t.Union([t.String(), t.Null()]),
          },
          open,
        ),
      ),
      usage: t.Optional(t.Union([ref("Usage"), t.Null()])),
    },
    open,
  ),
  Usage,
  CompletionRequest: t.Object(
    {
      model: t.String(),
      prompt: t.Union([t.String(), t.Array(t.String())]),
      stream: t.Optional(t.Boolean()),
      max_tokens: t.Optional(t.Integer()),
    },
    relayed,
  ),
  Completion: t.Object(
    {
      id: t.String(),
      object: t.String(),
      model: t.String(),
      choices: t.Array(
        t.Object({ index: t.Integer(), text: t.String(), finish_reason: t.Union([t.String(), t.Null()]) }, open),
      ),
      usage: t.Optional(ref("Usage")),
    },
    open,
  ),
  EmbeddingRequest: t.Object(
    {
      model: t.String(),
      input: t.Union([t.String(), t.Array(t.String()), t.Array(t.Integer()), t.Array(t.Array(t.Integer()))]),
      dimensions: t.Optional(t.Integer()),
      encoding_format: t.Optional(t.Union([t.Literal("float"), t.Literal("base64")])),
    },
    relayed,
  ),
  EmbeddingList: t.Object(
    {
      object: t.Literal("list"),
      model: t.String(),
      data: t.Array(
        t.Object(
          { object: t.Literal("embedding"), index: t.Integer(), embedding: t.Union([t.Array(t.Number()), t.String()]) },
          open,
        ),
      ),
      usage: t.Object({ prompt_tokens: t.Integer(), total_tokens: t.Integer() }, open),
    },
    open,
  ),
  ResponseRequest: t.Object(
    {
      model: t.String(),
      input: t.Union([t.String(), t.Array(t.Object({}, open))]),
      stream: t.Optional(t.Boolean()),
      instructions: t.Optional(t.String()),
    },
    relayed,
  ),
  ResponseObject: t.Object(
    {
      id: t.String(),
      object: t.Literal("response"),
      model: t.String(),
      status: t.String(),
      output: t.Array(t.Object({ type: t.String() }, open)),
      usage: t.Optional(t.Object({}, open)),
    },
    open,
  ),
  ResponseStreamEvent: t.Object(
    { type: t.String({ description: "response.created, response.output_text.delta, response.completed …" }) },
    open,
  ),
  MessageRequest: t.Object(
    {
      model: t.String(),
      max_tokens: t.Integer(),
      messages: t.Array(
        t.Object(
          {
            role: t.Union([t.Literal("user"), t.Literal("assistant")]),
            content: t.Union([t.String(), t.Array(AnthropicContent)]),
          },
          open,
        ),
      ),
      system: t.Optional(t.Union([t.String(), t.Array(AnthropicContent)])),
      stream: t.Optional(t.Boolean({ description: "Server-sent events of MessageStreamEvent" })),
      temperature: t.Optional(t.Number()),
    },
    relayed,
  ),
  Message: t.Object(
    {
      id: t.String(),
      type: t.Literal("message"),
      role: t.Literal("assistant"),
      model: t.String(),
      content: t.Array(AnthropicContent),
      stop_reason: t.Union([t.String(), t.Null()]),
      usage: AnthropicUsage,
    },
    open,
  ),
  MessageStreamEvent: t.Object(
    {
      type: t.String({
        description:
          "message_start, content_block_start, content_block_delta, content_block_stop, message_delta, message_stop, ping, error",
      }),
      message: t.Optional(t.Object({}, open)),
      index: t.Optional(t.Integer()),
      delta: t.Optional(t.Object({}, open)),
      usage: t.Optional(t.Object({}, open)),
    },
    open,
  ),
  Error: t.Object(
    {
      error: t.Object({
        message: t.String({ description: "Safe to show; never echoes request content" }),
        type: t.String({
          description: "OpenAI error type: invalid_request_error, authentication_error, rate_limit_error, api_error …",
        }),
        code: t.String({
          description: "Kriora's error code: invalid_request, unauthenticated, forbidden, not_found, rate_limited …",
        }),
        param: t.Union([t.String(), t.Null()]),
      }),
      request_id: t.String(),
    },
    { description: "Every error outside /v1/messages (OpenAI's envelope)" },
  ),
  AnthropicError: t.Object(
    {
      type: t.Literal("error"),
      error: t.Object({
        type: t.String({
          description: "invalid_request_error, authentication_error, rate_limit_error, overloaded_error …",
        }),
        message: t.String(),
      }),
      request_id: t.String(),
    },
    { description: "Errors of /v1/messages (Anthropic's shape)" },
  ),
};

/** For each model route: its named request schema, JSON answer and stream event. */
export const wireOperations: Record<string, { request?: string; json: string; stream?: string }> = {
  "/v1/chat/completions": { request: "ChatCompletionRequest", json: "ChatCompletion", stream: "ChatCompletionChunk" },
  "/v1/completions": { request: "CompletionRequest", json: "Completion", stream: "Completion" },
  "/v1/embeddings": { request: "EmbeddingRequest", json: "EmbeddingList" },
  "/v1/responses": { request: "ResponseRequest", json: "ResponseObject", stream: "ResponseStreamEvent" },
  "/v1/messages": { request: "MessageRequest", json: "Message", stream: "MessageStreamEvent" },
};
