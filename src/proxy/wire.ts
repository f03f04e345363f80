import type { ProviderConfig } from "../config/schema";
import type { KrioraError } from "../lib/errors";
import type { EndpointSpec } from "./endpoints";
import type { TokenCounts } from "./tokens";
import type { StreamWatch } from "./watch";

/** The wire formats a provider may speak; translation works between them. */
export type Format = "openai" | "anthropic" | "gemini";

/** The base URL followed by the endpoint's path (OpenAI and Anthropic). */
export function pathUrl(base: string, endpoint: EndpointSpec): URL {
  return new URL(base + endpoint.path);
}

/** One provider wire format (`openai`, `anthropic`, `gemini`): how to call it and how to read its answers. No I/O. */
export interface WireFormat {
  format: Format;
  /** Where a request goes: the endpoint's path under the base URL (without its trailing slashes), or (Azure) a deployment's path, or (Gemini) a path naming the model and the stream mode. */
  url(base: string, endpoint: EndpointSpec, upstreamModel: string, stream: boolean, provider: ProviderConfig): URL;
  /** The provider's own credentials and protocol headers. The client's credentials are never among them. */
  headers(apiKey: string, client: Headers): Record<string, string>;
  /**
   * The body sent upstream: the client's fields as they came, with the upstream model name. Where
   * a stream carries usage only on request, it is requested, and `dropUsage` says the client did
   * not ask for it (the usage-only event is then kept from the client).
   */
  body(
    endpoint: EndpointSpec,
    json: Record<string, unknown>,
    upstreamModel: string,
  ): { text: string; dropUsage: boolean };
  /** Token counts from the provider's usage object. */
  usage(usage: Record<string, unknown>): TokenCounts;
  /** The usage object of a whole JSON answer, when it has one. */
  usageOf(answer: Record<string, unknown>): Record<string, unknown> | null;
  watch(endpoint: EndpointSpec, requestId: string, dropUsage: boolean): StreamWatch;
  /** The event that tells a client of this format, on this endpoint, that its stream failed part-way. */
  errorEvent(err: KrioraError, requestId: string, endpoint: EndpointSpec): string;
}
