import { Elysia, t } from "elysia";
import type { Deps } from "../../deps";

/**
 * `POST /webhooks/stripe`: the body is left unparsed (`parse: "none"`) because the signature is
 * computed over the exact bytes Stripe sent. 400 for a bad, stale or missing signature; 200 for
 * every correctly signed event, whether applied, already applied or not one Kriora acts on.
 */
export function webhookRoutes(deps: Deps) {
  return new Elysia({ prefix: "/webhooks", detail: { tags: ["webhooks"] } }).post(
    "/stripe",
    // The edge hands this route the body's exact text (http/body.ts: webhooks are read raw).
    async ({ request, body }) => ({
      received: true,
      outcome: await deps.billing.receiveWebhook(String(body), request.headers.get("stripe-signature")),
    }),
    {
      parse: "none",
      response: t.Object({
        received: t.Boolean(),
        outcome: t.Union([t.Literal("applied"), t.Literal("duplicate"), t.Literal("ignored")]),
      }),
      detail: { summary: "Stripe events (signed with the endpoint secret): credits, refunds, checkout outcomes" },
    },
  );
}
