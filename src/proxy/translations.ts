import { ENDPOINTS, type EndpointSpec } from "./endpoints";
import { anthropicToOpenai } from "./translate/anthropicToOpenai";
import { chatToAnthropic } from "./translate/chatToAnthropic";
import { chatToGemini } from "./translate/chatToGemini";
import { responsesToChat } from "./translate/responsesToChat";
import { chain, type Translate } from "./translate/types";
import type { Format } from "./wire";

/** How a client's endpoint reaches a provider of some format: as it came, or translated to that provider's endpoint. */
export type Path = { translate: null; upstream: EndpointSpec } | { translate: Translate; upstream: EndpointSpec };

/** Client endpoint → provider format → translation. Same-format calls are relayed as they came. */
const TRANSLATIONS: Partial<Record<EndpointSpec["name"], Partial<Record<Format, Path>>>> = {
  "chat.completions": {
    anthropic: { translate: chatToAnthropic, upstream: ENDPOINTS.messages },
    gemini: { translate: chatToGemini, upstream: ENDPOINTS.chat },
  },
  messages: {
    openai: { translate: anthropicToOpenai, upstream: ENDPOINTS.chat },
    gemini: { translate: chain(anthropicToOpenai, chatToGemini), upstream: ENDPOINTS.chat },
  },
  responses: {
    openai: { translate: responsesToChat, upstream: ENDPOINTS.chat },
    anthropic: { translate: chain(responsesToChat, chatToAnthropic), upstream: ENDPOINTS.messages },
    gemini: { translate: chain(responsesToChat, chatToGemini), upstream: ENDPOINTS.chat },
  },
};

/**
 * How `endpoint` reaches a provider speaking `format`; null when it cannot. OpenAI-format
 * providers take `/responses` as it came unless they declare `native_responses = false` (many
 * OpenAI-compatible servers have chat completions only); then it is translated to chat.
 */
export function pathTo(endpoint: EndpointSpec, format: Format, nativeResponses = true): Path | null {
  if (endpoint.kind === format && (endpoint.name !== "responses" || nativeResponses))
    return { translate: null, upstream: endpoint };
  return TRANSLATIONS[endpoint.name]?.[format] ?? null;
}
