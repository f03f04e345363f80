import { eq } from "drizzle-orm";
import type Stripe from "stripe";
import { accounts, billingCheckouts } from "../db/schema";
import { MICROS_PER_CENT } from "../lib/money";
import { settleCheckout } from "./checkout";
import type { Tx } from "../db/tx";
import type { BillingContext } from "./context";
import { accountOfCustomer } from "./customers";
import { appendLedger, refundedOnCharge } from "./ledger";
import { one } from "../db/tx";

/** A webhook's effect, run inside the transaction that records the event id. */
type Effect = (tx: Tx, at: number) => Promise<"applied" | "ignored">;

type EventContext = Pick<BillingContext, "db" | "log" | "audit">;

/**
 * What a signed Stripe event does here, or undefined when it is not ours to act on (another
 * type, another product's session, a currency we do not sell in). Effects are written so any
 * order of arrival ends in the same state: a session is credited once whichever of its events
 * comes first, and a refund debits only what the charge's cumulative refunded amount adds.
 */
export async function effectOf(ctx: EventContext, event: Stripe.Event): Promise<Effect | undefined> {
  switch (event.type) {
    case "checkout.session.completed":
    case "checkout.session.async_payment_succeeded":
      return purchase(ctx, event.data.object);
    case "checkout.session.expired":
      return ours(event.data.object) ? settled(event.data.object.id, "expired") : undefined;
    case "checkout.session.async_payment_failed":
      return ours(event.data.object) ? settled(event.data.object.id, "failed") : undefined;
    case "charge.refunded":
      return refund(ctx, event.data.object);
    default:
      return undefined;
  }
}

const ours = (s: Stripe.Checkout.Session) => s.mode === "payment" && accountOfSession(s) !== undefined;

const settled =
  (id: string, status: "expired" | "failed"): Effect =>
  async (tx) => {
    await settleCheckout(tx, id, status);
    return "applied";
  };

/** The account a session was opened for; both places we put it must agree. */
function accountOfSession(s: Stripe.Checkout.Session): string | undefined {
  const fromMetadata = s.metadata?.account_id;
  if (s.client_reference_id && fromMetadata && s.client_reference_id !== fromMetadata) return undefined;
  return s.client_reference_id ?? fromMetadata ?? undefined;
}

/**
 * A paid session credits what the payer was charged (`amount_total`, after discounts) to the
 * account of the checkout Kriora opened for it. A signature proves the event is Stripe's, not
 * that the session is ours: a paid session that matches no `billing_checkouts` row of the same,
 * unerased account, or that is not a positive amount in US dollars, is recorded and ignored, with
 * an audit entry giving the reason.
 */
function purchase(ctx: EventContext, s: Stripe.Checkout.Session): Effect | undefined {
  if (s.mode !== "payment" || s.payment_status !== "paid") return undefined;
  const cents = s.amount_total ?? 0;
  return async (tx, at) => {
    const refused = await unmatched(tx, s, cents);
    if (refused) {
      await ctx.audit.record(
        {
          actor: "system",
          action: "billing.purchase_ignored",
          target: refused.accountId,
          details: { session: s.id, reason: refused.reason },
        },
        tx,
      );
      return "ignored";
    }
    await appendLedger(tx, {
      accountId: accountOfSession(s)!,
      at,
      kind: "purchase",
      amountMicros: cents * MICROS_PER_CENT,
      ref: s.id,
    });
    await settleCheckout(tx, s.id, "complete");
    return "applied";
  };
}

async function unmatched(
  tx: Tx,
  s: Stripe.Checkout.Session,
  cents: number,
): Promise<{ reason: string; accountId: string | null } | undefined> {
  const claimed = accountOfSession(s) ?? null;
  if (s.currency !== "usd") return { reason: "currency", accountId: claimed };
  if (!Number.isSafeInteger(cents) || cents <= 0) return { reason: "amount", accountId: claimed };
  const checkout = await one(
    tx.select({ accountId: billingCheckouts.accountId }).from(billingCheckouts).where(eq(billingCheckouts.id, s.id)),
  );
  if (!checkout) return { reason: "unknown_checkout", accountId: claimed };
  if (checkout.accountId !== claimed) return { reason: "account_mismatch", accountId: checkout.accountId };
  const account = await one(
    tx.select({ status: accounts.status }).from(accounts).where(eq(accounts.id, checkout.accountId)),
  );
  if (account?.status === "erased") return { reason: "account_erased", accountId: checkout.accountId };
  return undefined;
}

async function refund(ctx: EventContext, charge: Stripe.Charge): Promise<Effect | undefined> {
  const customerId = typeof charge.customer === "string" ? charge.customer : charge.customer?.id;
  const accountId = charge.metadata?.account_id ?? (customerId ? await accountOfCustomer(ctx, customerId) : undefined);
  if (!accountId) return undefined;
  if (charge.currency !== "usd") {
    ctx.log.warn("stripe_event_unusable", { type: "charge", reason: "currency" });
    return undefined;
  }
  return async (tx, at) => {
    const owed = charge.amount_refunded * MICROS_PER_CENT - (await refundedOnCharge(tx, charge.id));
    if (owed > 0) await appendLedger(tx, { accountId, at, kind: "refund", amountMicros: -owed, ref: charge.id });
    return "applied";
  };
}
