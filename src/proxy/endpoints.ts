import type { Endpoint } from "../usage/sink";

export type WireKind = "openai" | "anthropic";

/** A model endpoint: its wire format and the path appended to the provider's base URL. */
export interface EndpointSpec {
  name: Endpoint;
  kind: WireKind;
  path: string;
  /** Whether `stream: true` asks for server-sent events on this endpoint. */
  streams: boolean;
  /** OpenAI endpoints that send usage in a stream only when `stream_options.include_usage` is set. */
  usageOption: boolean;
}

export const ENDPOINTS = {
  chat: { name: "chat.completions", kind: "openai", path: "/chat/completions", streams: true, usageOption: true },
  completions: { name: "completions", kind: "openai", path: "/completions", streams: true, usageOption: true },
  embeddings: { name: "embeddings", kind: "openai", path: "/embeddings", streams: false, usageOption: false },
  responses: { name: "responses", kind: "openai", path: "/responses", streams: true, usageOption: false },
  messages: { name: "messages", kind: "anthropic", path: "/messages", streams: true, usageOption: false },
} as const satisfies Record<string, EndpointSpec>;
