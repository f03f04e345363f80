import { and, desc, eq } from "drizzle-orm";
import { billingCheckouts } from "../db/schema";
import { KrioraError } from "../lib/errors";
import { MICROS_PER_CENT, formatUsd } from "../lib/money";
import type { Tx } from "../db/tx";
import type { BillingContext } from "./context";
import { ensureCustomer } from "./customers";
import { publicUrls } from "../lib/publicUrls";
import { exec, all } from "../db/tx";

export type CheckoutRow = typeof billingCheckouts.$inferSelect;

/** Smallest and largest top-up: Stripe's card minimum with room, and a cap against typos. */
const MIN_TOPUP_MICROS = 1_000_000;
const MAX_TOPUP_MICROS = 10_000_000_000;

/**
 * Start a prepaid top-up: a Stripe Checkout Session in payment mode for the account's customer,
 * carrying the account id as `client_reference_id` and in metadata (on the session and on the
 * payment, so refunds find the account too). The signed `checkout.session.completed` credits it.
 */
export async function createCheckout(
  ctx: BillingContext,
  accountId: string,
  amountMicros: number,
): Promise<CheckoutRow> {
  if (amountMicros < MIN_TOPUP_MICROS || amountMicros > MAX_TOPUP_MICROS || amountMicros % MICROS_PER_CENT !== 0)
    throw new KrioraError(
      "invalid_request",
      `Top-ups are whole cents from ${formatUsd(MIN_TOPUP_MICROS)} to ${formatUsd(MAX_TOPUP_MICROS)} USD.`,
      { param: "amount_usd" },
    );
  const customer = await ensureCustomer(ctx, accountId);
  const urls = publicUrls(ctx.config.server.public_url);
  const metadata = { account_id: accountId };
  const session = await ctx.stripe.checkout.sessions.create({
    mode: "payment",
    customer,
    client_reference_id: accountId,
    metadata,
    payment_intent_data: { metadata },
    line_items: [
      {
        quantity: 1,
        price_data: {
          currency: "usd",
          unit_amount: amountMicros / MICROS_PER_CENT,
          product_data: { name: `Kriora credits (${formatUsd(amountMicros)} USD)` },
        },
      },
    ],
    success_url: urls.checkoutReturn("complete"),
    cancel_url: urls.checkoutReturn("cancelled"),
  });
  const row: CheckoutRow = {
    id: session.id,
    accountId,
    amountMicros,
    url: session.url,
    status: "open",
    createdAt: ctx.clock.now(),
    expiresAt: session.expires_at * 1000,
  };
  await exec(ctx.db.insert(billingCheckouts).values(row).onConflictDoNothing());
  return row;
}

/** A session's end as its events report it; a completed one never goes back to open or expired. */
export async function settleCheckout(db: Tx, id: string, status: "complete" | "expired" | "failed") {
  const match =
    status === "complete"
      ? eq(billingCheckouts.id, id)
      : and(eq(billingCheckouts.id, id), eq(billingCheckouts.status, "open"));
  await exec(db.update(billingCheckouts).set({ status, url: null }).where(match));
}

export async function recentCheckouts(
  db: BillingContext["db"],
  accountId: string,
  limit: number,
): Promise<CheckoutRow[]> {
  return await all(
    db
      .select()
      .from(billingCheckouts)
      .where(eq(billingCheckouts.accountId, accountId))
      .orderBy(desc(billingCheckouts.createdAt))
      .limit(limit),
  );
}
