import { eq } from "drizzle-orm";
import { billingCustomers, meterOutbox } from "../db/schema";
import type { BillingContext } from "./context";
import { stripeFailure } from "./stripe";
import { one, exec, transaction } from "../db/tx";

export async function customerOf(ctx: Pick<BillingContext, "db">, accountId: string): Promise<string | undefined> {
  return (await one(ctx.db.select().from(billingCustomers).where(eq(billingCustomers.accountId, accountId))))
    ?.stripeCustomerId;
}

export async function accountOfCustomer(
  ctx: Pick<BillingContext, "db">,
  customerId: string,
): Promise<string | undefined> {
  return (await one(ctx.db.select().from(billingCustomers).where(eq(billingCustomers.stripeCustomerId, customerId))))
    ?.accountId;
}

/**
 * The account's Stripe customer, created on first need with the account id as its only data:
 * no email, no name (Policy §10: the processor gets what payment needs; Checkout asks the payer
 * itself). The idempotency key makes two racing callers get the same customer.
 */
export async function ensureCustomer(ctx: BillingContext, accountId: string): Promise<string> {
  const known = await customerOf(ctx, accountId);
  if (known) return known;
  const customer = await ctx.stripe.customers.create(
    { metadata: { account_id: accountId } },
    { idempotencyKey: `kriora-customer-${accountId}` },
  );
  await exec(
    ctx.db
      .insert(billingCustomers)
      .values({ accountId, stripeCustomerId: customer.id, createdAt: ctx.clock.now() })
      .onConflictDoNothing(),
  );
  return (await customerOf(ctx, accountId)) ?? customer.id;
}

/**
 * Erasure (Policy §8, §14; SPEC "Erasure"): delete the account's customer at Stripe, then the
 * link to it here and the meter events that can no longer be reported without it (send them
 * first with `drainMeter` if they are still to be invoiced). Ledger rows stay (legal hold); they
 * never held the customer id. Returns whether there was a customer. A customer Stripe no longer
 * knows counts as deleted; any other failure throws and leaves everything, so the caller can retry.
 */
export async function deleteCustomer(ctx: BillingContext, accountId: string): Promise<boolean> {
  const customerId = await customerOf(ctx, accountId);
  if (!customerId) return false;
  try {
    await ctx.stripe.customers.del(customerId);
  } catch (err) {
    const f = stripeFailure(err);
    if (f.code !== "resource_missing") throw err;
  }
  await transaction(ctx.db, async (tx) => {
    await exec(tx.delete(billingCustomers).where(eq(billingCustomers.accountId, accountId)));
    await exec(tx.delete(meterOutbox).where(eq(meterOutbox.accountId, accountId)));
  });
  return true;
}
