import Stripe from "stripe";
import type { StripeEndpoint } from "../../src/billing/stripe";

/** The secrets the tests configure; the fake accepts only this API key. */
export const STRIPE_ENV = {
  STRIPE_SECRET_KEY: "sk_test_kriora_fake_51",
  STRIPE_WEBHOOK_SECRET: "whsec_kriora_fake_secret",
};

export interface FakeRequest {
  method: string;
  path: string;
  form: Record<string, any>;
  idempotencyKey: string | null;
  /** The `kriora serve` instance that sent it, in cluster tests (tests/helpers/stripeRedirect.ts); "" otherwise. */
  sender: string;
}

export interface FakeStripe {
  endpoint: Required<StripeEndpoint>;
  requests: FakeRequest[];
  customers: Map<string, Record<string, any>>;
  sessions: Map<string, Record<string, any>>;
  /** Meter events by identifier: Stripe's dedup, so a resend is not counted twice. */
  meterEvents: Map<string, Record<string, any>>;
  /** Every meter-event request that arrived, resends included. */
  meterCalls: number;
  invoices: Record<string, any>[];
  /** Answer the next `n` requests to `path` with this status (a Stripe-shaped error). */
  failNext(path: string, n: number, status: number, code?: string): void;
  /** Record meter events but never answer: the caller is left waiting, as if it died before the reply. */
  holdMeterReplies: boolean;
  /** Record the next `n` meter events, then answer 500 as if the reply were lost on the way. */
  loseMeterReplies: number;
  /** Answer each meter event this many ms late (a slow Stripe: a sender's pass then spans other senders' ticks). */
  meterReplyDelayMs: number;
  stop(): void;
}

let serial = 0;
const stripeId = (prefix: string) =>
  `${prefix}_fake${(++serial).toString(36).padStart(6, "0")}${Math.random().toString(36).slice(2, 8)}`;

/** `a[b][0][c]=v` (stripe-node's form encoding) → `{ a: { b: { 0: { c: "v" } } } }`. */
function parseForm(text: string): Record<string, any> {
  const out: Record<string, any> = {};
  for (const [key, value] of new URLSearchParams(text)) {
    const path = key.replace(/\]/g, "").split("[");
    let node = out;
    for (const part of path.slice(0, -1)) node = node[part] ??= {};
    node[path.at(-1)!] = value;
  }
  return out;
}

const error = (status: number, type: string, code: string): Response =>
  Response.json({ error: { type, code, message: `fake stripe: ${code}` } }, { status });

/**
 * A loopback fake of the few Stripe endpoints Kriora calls (customers, Checkout Sessions,
 * Billing meter events, invoices), answering with Stripe-shaped JSON, honouring idempotency keys
 * and checking the API key. Tests point the real stripe-node client at it.
 */
export function startFakeStripe(): FakeStripe {
  const replies = new Map<string, { status: number; body: string }>();
  const failures: { path: string; n: number; status: number; code: string }[] = [];
  const held: (() => void)[] = [];

  const route = async (req: FakeRequest): Promise<Response> => {
    const now = Math.floor(Date.now() / 1000);
    if (req.method === "POST" && req.path === "/v1/customers") {
      const c = {
        id: stripeId("cus"),
        object: "customer",
        created: now,
        email: req.form.email ?? null,
        name: req.form.name ?? null,
        metadata: req.form.metadata ?? {},
        livemode: false,
      };
      fake.customers.set(c.id, c);
      return Response.json(c);
    }
    const del = /^\/v1\/customers\/([^/]+)$/.exec(req.path);
    if (req.method === "DELETE" && del) {
      if (!fake.customers.delete(del[1]!)) return error(404, "invalid_request_error", "resource_missing");
      return Response.json({ id: del[1], object: "customer", deleted: true });
    }
    if (req.method === "POST" && req.path === "/v1/checkout/sessions") {
      const f = req.form;
      if (f.customer && !fake.customers.has(f.customer)) return error(400, "invalid_request_error", "resource_missing");
      const amount = Number(f.line_items[0].price_data.unit_amount) * Number(f.line_items[0].quantity);
      const id = stripeId("cs_test");
      const s = {
        id,
        object: "checkout.session",
        mode: f.mode,
        status: "open",
        payment_status: "unpaid",
        customer: f.customer,
        client_reference_id: f.client_reference_id ?? null,
        metadata: f.metadata ?? {},
        currency: f.line_items[0].price_data.currency,
        amount_subtotal: amount,
        amount_total: amount,
        url: `https://checkout.stripe.com/c/pay/${id}`,
        success_url: f.success_url,
        cancel_url: f.cancel_url,
        created: now,
        expires_at: now + 86_400,
        payment_intent: null,
        livemode: false,
      };
      fake.sessions.set(id, s);
      return Response.json(s);
    }
    if (req.method === "POST" && req.path === "/v1/billing/meter_events") {
      fake.meterCalls++;
      const customer = req.form.payload?.stripe_customer_id;
      if (!fake.customers.has(customer)) return error(400, "invalid_request_error", "resource_missing");
      const e = {
        object: "billing.meter_event",
        created: now,
        event_name: req.form.event_name,
        identifier: req.form.identifier,
        payload: req.form.payload,
        timestamp: Number(req.form.timestamp),
        livemode: false,
      };
      if (!fake.meterEvents.has(e.identifier)) fake.meterEvents.set(e.identifier, e);
      if (fake.loseMeterReplies > 0) {
        fake.loseMeterReplies--;
        return error(500, "api_error", "reply_lost");
      }
      if (fake.holdMeterReplies)
        return new Promise((resolve) => held.push(() => resolve(error(503, "api_error", "shutting_down"))));
      if (fake.meterReplyDelayMs > 0) await Bun.sleep(fake.meterReplyDelayMs);
      return Response.json(fake.meterEvents.get(e.identifier));
    }
    if (req.method === "GET" && req.path === "/v1/invoices")
      return Response.json({ object: "list", data: fake.invoices, has_more: false, url: "/v1/invoices" });
    return error(404, "invalid_request_error", "unknown_route");
  };

  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    development: false,
    async fetch(request) {
      const url = new URL(request.url);
      if (request.headers.get("authorization") !== `Bearer ${STRIPE_ENV.STRIPE_SECRET_KEY}`)
        return error(401, "invalid_request_error", "api_key_invalid");
      const body = request.method === "GET" ? url.search.slice(1) : await request.text();
      const req: FakeRequest = {
        method: request.method,
        path: url.pathname,
        form: parseForm(body),
        idempotencyKey: request.headers.get("idempotency-key"),
        sender: request.headers.get("x-kriora-test-instance") ?? "",
      };
      fake.requests.push(req);
      const failure = failures.find((f) => f.path === req.path && f.n > 0);
      if (failure) {
        failure.n--;
        return error(failure.status, failure.status >= 500 ? "api_error" : "invalid_request_error", failure.code);
      }
      const cacheKey = req.idempotencyKey ? `${req.method} ${req.path} ${req.idempotencyKey}` : null;
      const cached = cacheKey ? replies.get(cacheKey) : undefined;
      if (cached)
        return new Response(cached.body, {
          status: cached.status,
          headers: { "content-type": "application/json", "idempotent-replayed": "true" },
        });
      const reply = await route(req);
      if (cacheKey && reply.status < 500)
        replies.set(cacheKey, { status: reply.status, body: await reply.clone().text() });
      return reply;
    },
  });

  const fake: FakeStripe = {
    endpoint: { host: "127.0.0.1", port: server.port!, protocol: "http" },
    requests: [],
    customers: new Map(),
    sessions: new Map(),
    meterEvents: new Map(),
    meterCalls: 0,
    invoices: [],
    holdMeterReplies: false,
    loseMeterReplies: 0,
    meterReplyDelayMs: 0,
    failNext(path, n, status, code = status >= 500 ? "api_error" : "invalid_request") {
      failures.push({ path, n, status, code });
    },
    stop() {
      for (const release of held.splice(0)) release();
      server.stop(true);
    },
  };
  return fake;
}

/** A Stripe event around `object`, as its webhook would deliver it. */
export function stripeEvent(type: string, object: Record<string, any>, id = stripeId("evt")): string {
  return JSON.stringify({
    id,
    object: "event",
    api_version: Stripe.API_VERSION,
    created: Math.floor(Date.now() / 1000),
    type,
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    data: { object },
  });
}

/** The `Stripe-Signature` header for a payload, made by stripe-node's own signing code. */
export function signStripe(payload: string, opts: { secret?: string; timestamp?: number } = {}): Promise<string> {
  return Stripe.webhooks.generateTestHeaderStringAsync({
    payload,
    secret: opts.secret ?? STRIPE_ENV.STRIPE_WEBHOOK_SECRET,
    timestamp: opts.timestamp ?? Math.floor(Date.now() / 1000),
  });
}

/** The session as `checkout.session.completed` carries it once paid. */
export function paidSession(session: Record<string, any>): Record<string, any> {
  return { ...session, status: "complete", payment_status: "paid", payment_intent: stripeId("pi"), url: null };
}

/** A charge of a Kriora checkout (its payment carries the account id), refunded `refundedCents` so far. */
export function refundedCharge(
  accountId: string,
  amountCents: number,
  refundedCents: number,
  id = stripeId("ch"),
): Record<string, any> {
  return {
    id,
    object: "charge",
    amount: amountCents,
    amount_refunded: refundedCents,
    currency: "usd",
    refunded: refundedCents === amountCents,
    customer: null,
    metadata: { account_id: accountId },
    livemode: false,
  };
}
