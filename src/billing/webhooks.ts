import type Stripe from "stripe";
import { stripeEvents } from "../db/schema";
import { KrioraError } from "../lib/errors";
import type { BillingContext } from "./context";
import { effectOf } from "./events";
import { stripeFailure, stripeSdk } from "./stripe";
import { one, transaction } from "../db/tx";

/** How old a signed event may be (Stripe's default): older deliveries are refused as replays. */
const WEBHOOK_TOLERANCE_SECONDS = 300;

export type WebhookOutcome = "applied" | "duplicate" | "ignored";

/**
 * `POST /webhooks/stripe`: check the signature over the raw body (constructEventAsync: the
 * synchronous one needs Node's crypto), then apply the event's effect and record its id in one
 * transaction, so a redelivery, a retry after a crash or a second process changes nothing.
 * A correctly signed event is authoritative: nothing is fetched back from Stripe. An effect may
 * still decline (a purchase that matches no checkout of ours): its id is recorded all the same.
 */
export async function receiveStripeEvent(
  ctx: BillingContext,
  secret: string,
  rawBody: string,
  signature: string | null,
): Promise<WebhookOutcome> {
  let event: Stripe.Event;
  try {
    event = await stripeSdk().webhooks.constructEventAsync(
      rawBody,
      signature ?? "",
      secret,
      WEBHOOK_TOLERANCE_SECONDS,
      undefined,
      ctx.clock.now(),
    );
  } catch (err) {
    ctx.log.warn("stripe_webhook_refused", { kind: stripeFailure(err).type });
    throw new KrioraError("invalid_request", "The Stripe signature is missing, invalid or too old.");
  }
  const effect = await effectOf(ctx, event);
  if (!effect) return "ignored";
  const at = ctx.clock.now();
  return await transaction(ctx.db, async (tx) => {
    const fresh = await one(
      tx
        .insert(stripeEvents)
        .values({ id: event.id, type: event.type, processedAt: at })
        .onConflictDoNothing()
        .returning(),
    );
    return fresh ? await effect(tx, at) : "duplicate";
  });
}
