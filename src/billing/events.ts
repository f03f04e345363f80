import type Stripe from "stripe";
import type { Logger } from "../lib/log";
import { MICROS_PER_CENT } from "../lib/money";
import { settleCheckout } from "./checkout";
import type { BillingContext, DbOrTx } from "./context";
import { accountOfCustomer } from "./customers";
import { appendLedger, refundedOnCharge } from "./ledger";

/** A webhook's effect, run inside the transaction that records the event id. */
export type Effect = (tx: DbOrTx, at: number) => void;

/**
 * What a signed Stripe event does here, or undefined when it is not ours to act on (another
 * type, another product's session, a currency we do not sell in). Effects are written so any
 * order of arrival ends in the same state: a session is credited once whichever of its events
 * comes first, and a refund debits only what the charge's cumulative refunded amount adds.
 */
export function effectOf(ctx: Pick<BillingContext, "db" | "log">, event: Stripe.Event): Effect | undefined {
  switch (event.type) {
    case "checkout.session.completed":
    case "checkout.session.async_payment_succeeded":
      return purchase(event.data.object, ctx.log);
    case "checkout.session.expired":
      return ours(event.data.object) ? (tx) => settleCheckout(tx, event.data.object.id, "expired") : undefined;
    case "checkout.session.async_payment_failed":
      return ours(event.data.object) ? (tx) => settleCheckout(tx, event.data.object.id, "failed") : undefined;
    case "charge.refunded":
      return refund(ctx, event.data.object);
    default:
      return undefined;
  }
}

const ours = (s: Stripe.Checkout.Session) => s.mode === "payment" && accountOfSession(s) !== undefined;

/** The account a session was opened for; both places we put it must agree. */
function accountOfSession(s: Stripe.Checkout.Session): string | undefined {
  const fromMetadata = s.metadata?.account_id;
  if (s.client_reference_id && fromMetadata && s.client_reference_id !== fromMetadata) return undefined;
  return s.client_reference_id ?? fromMetadata ?? undefined;
}

function purchase(s: Stripe.Checkout.Session, log: Logger): Effect | undefined {
  const accountId = accountOfSession(s);
  if (!ours(s) || !accountId || s.payment_status !== "paid") return undefined;
  // The credit is what the line item was priced at, before any tax Stripe adds on top.
  const cents = s.amount_subtotal ?? s.amount_total ?? 0;
  if (s.currency !== "usd" || cents <= 0) {
    log.warn("stripe_event_unusable", { type: "checkout.session", reason: s.currency !== "usd" ? "currency" : "amount" });
    return undefined;
  }
  return (tx, at) => {
    appendLedger(tx, { accountId, at, kind: "purchase", amountMicros: cents * MICROS_PER_CENT, ref: s.id });
    settleCheckout(tx, s.id, "complete");
  };
}

function refund(ctx: Pick<BillingContext, "db" | "log">, charge: Stripe.Charge): Effect | undefined {
  const customerId = typeof charge.customer === "string" ? charge.customer : charge.customer?.id;
  const accountId = charge.metadata?.account_id ?? (customerId ? accountOfCustomer(ctx, customerId) : undefined);
  if (!accountId) return undefined;
  if (charge.currency !== "usd") {
    ctx.log.warn("stripe_event_unusable", { type: "charge", reason: "currency" });
    return undefined;
  }
  return (tx, at) => {
    const owed = charge.amount_refunded * MICROS_PER_CENT - refundedOnCharge(tx, charge.id);
    if (owed > 0) appendLedger(tx, { accountId, at, kind: "refund", amountMicros: -owed, ref: charge.id });
  };
}
