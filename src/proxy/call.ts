import type { Principal } from "../auth/principal";
import type { EndpointSpec } from "./endpoints";

/** One client request to a model endpoint, as the route hands it to the proxy. */
export interface ProxyCall {
  request: Request;
  principal: Principal;
  endpoint: EndpointSpec;
  /** The client's JSON body, `model` validated; every other field is forwarded as it came. */
  body: Record<string, unknown> & { model: string };
  requestId: string;
  /** The caller's address, for metering only (stored encrypted, erased after `retention.ip_days`). */
  clientIp: string | null;
  /** The HTTP server, to lift its idle timeout for this request; null in-process (tests). */
  server: { timeout(request: Request, seconds: number): void } | null;
  /** Told when the answer is relayed as a stream, with a promise of the stream's end. */
  streamed?: (ended: Promise<void>) => void;
}
