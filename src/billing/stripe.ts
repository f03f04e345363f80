import type Stripe from "stripe";

/** Where the Stripe API is: api.stripe.com in production, a loopback fake in tests. */
export interface StripeEndpoint {
  host?: string;
  port?: number;
  protocol?: "http" | "https";
}

/** The SDK, loaded on first use: a gateway with billing off never loads it (~10 MB of idle memory). */
export const stripeSdk = (): typeof Stripe => require("stripe") as typeof Stripe;

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

export class NonLoopbackStripeError extends Error {
  constructor(host: string) {
    super(`refusing to reach Stripe at ${host} under test: tests use the loopback fake (tests/helpers/fakeStripe.ts)`);
    this.name = "NonLoopbackStripeError";
  }
}

/**
 * The one place a Stripe client is made (a test checks no other file constructs one). Under
 * `bun test` (NODE_ENV=test) any host but loopback is refused, so no test can reach Stripe.
 * Automatic retries are few and short: callers that must not lose work (the meter outbox) keep
 * their own durable retry; telemetry headers are off.
 */
export function createStripeClient(secretKey: string, endpoint: StripeEndpoint = {}): Stripe {
  const host = endpoint.host ?? "api.stripe.com";
  if (process.env.NODE_ENV === "test" && !LOOPBACK.has(host)) throw new NonLoopbackStripeError(host);
  const Stripe = stripeSdk();
  return new Stripe(secretKey, {
    host,
    port: endpoint.port,
    protocol: endpoint.protocol ?? "https",
    maxNetworkRetries: 2,
    timeout: 20_000,
    telemetry: false,
  });
}

/** What may be logged or stored of a Stripe failure: its type, code and status, never its message (it can echo customer data). */
interface StripeFailure {
  type: string;
  code: string | null;
  status: number | null;
}

export function stripeFailure(err: unknown): StripeFailure {
  if (err instanceof stripeSdk().errors.StripeError)
    return { type: err.type, code: err.code ?? null, status: err.statusCode ?? null };
  return { type: err instanceof Error ? err.name : typeof err, code: null, status: null };
}

/** A failure worth retrying later: the network, a rate limit, or Stripe's own trouble. */
export function isTransient(f: StripeFailure): boolean {
  return f.status === null || f.status === 409 || f.status === 429 || f.status >= 500;
}
