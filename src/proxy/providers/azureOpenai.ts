import { openaiWire } from "./openai";
import type { WireFormat } from "../wire";

/**
 * Azure OpenAI: OpenAI's wire format, addressed by deployment (the upstream name is the Azure
 * deployment's name) with an `api-version` query parameter, and keyed with an `api-key` header.
 */
export const azureOpenaiWire: WireFormat = {
  ...openaiWire,
  url(base, endpoint, upstreamModel, _stream, provider) {
    const url = new URL(`${base}/openai/deployments/${encodeURIComponent(upstreamModel)}${endpoint.path}`);
    url.searchParams.set("api-version", provider.api_version);
    return url;
  },
  headers: (apiKey): Record<string, string> => (apiKey ? { "api-key": apiKey } : {}),
};
