import type { ProviderConfig } from "../config/schema";
import type { EndpointSpec } from "./endpoints";
import type { TokenCounts } from "./tokens";
import type { StreamWatch } from "./watch";

/** One provider wire format (`openai`, `anthropic`): how to call it and how to read its answers. No I/O. */
/** The base URL followed by the endpoint's path (OpenAI and Anthropic). */
export function pathUrl(base: string, endpoint: EndpointSpec): URL {
  return new URL(base + endpoint.path);
}

export interface WireFormat {
  /** Where a request goes: the endpoint's path under the base URL (without its trailing slashes), or (Azure) a deployment's path. */
  url(base: string, endpoint: EndpointSpec, upstreamModel: string, stream: boolean, provider: ProviderConfig): URL;
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
