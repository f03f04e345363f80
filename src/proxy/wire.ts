import type { ProviderConfig } from "../config/schema";
import type { EndpointSpec } from "./endpoints";
import type { TokenCounts } from "./tokens";
import type { StreamWatch } from "./watch";

/** One provider wire format (`openai`, `anthropic`): how to call it and how to read its answers. No I/O. */
/** `base_url` + the endpoint's path: the OpenAI and Anthropic convention. */
export function pathUrl(provider: ProviderConfig, endpoint: EndpointSpec): URL {
  return new URL(provider.base_url.replace(/\/+$/, "") + endpoint.path);
}

export interface WireFormat {
  /** Where an endpoint of this provider is called. */
  url(provider: ProviderConfig, endpoint: EndpointSpec, upstreamModel: string): URL;
  /** The provider's own credentials and protocol headers. The client's credentials are never among them. */
  headers(apiKey: string, client: Headers): Record<string, string>;
  /**
   * The body sent upstream: the client's fields as they came, with the upstream model name. Where
   * a stream carries usage only on request, it is requested, and `dropUsage` says the client did
   * not ask for it (the usage-only event is then kept from the client).
   */
  body(endpoint: EndpointSpec, json: Record<string, unknown>, upstreamModel: string): { text: string; dropUsage: boolean };
  /** Token counts from the provider's `usage` object. */
  usage(usage: Record<string, unknown>): TokenCounts;
  watch(endpoint: EndpointSpec, requestId: string, dropUsage: boolean): StreamWatch;
}
