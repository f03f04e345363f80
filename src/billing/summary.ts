import type { Db } from "../db/client";
import { iso, type Clock } from "../lib/clock";
import { MICROS_PER_CENT, formatUsd, jsonMicros } from "../lib/money";
import { recentCheckouts } from "./checkout";
import type { BillingContext } from "./context";
import { customerOf } from "./customers";
import { describeLedgerRow, ledgerBalance, recentLedger } from "./ledger";
import { outboxCounts } from "./meter";
import { stripeFailure } from "./stripe";

export type BillingMode = "off" | "prepaid" | "metered";

/**
 * One account's billing as its owner, an admin or the export sees it: the balance derived from
 * the ledger, recent ledger rows, open Checkout links, and in metered mode the meter outbox and
 * the Stripe invoices (fetched live; null when Stripe cannot be reached).
 */
export async function billingSummary(
  p: { db: Db; clock: Clock; mode: BillingMode; ctx: BillingContext | null },
  accountId: string,
  limit = 50,
) {
  const balance = await ledgerBalance(p.db, accountId);
  const now = p.clock.now();
  return {
    mode: p.mode,
    balance_micros: jsonMicros(balance),
    balance_usd: formatUsd(balance),
    ledger: (await recentLedger(p.db, accountId, limit)).map(describeLedgerRow),
    checkouts: (await recentCheckouts(p.db, accountId, 10)).map((c) => ({
      id: c.id,
      amount_usd: formatUsd(c.amountMicros),
      status: c.status,
      url: c.status === "open" && c.expiresAt > now ? c.url : null,
      created_at: iso(c.createdAt),
      expires_at: iso(c.expiresAt),
    })),
    meter: p.mode === "metered" ? await outboxCounts(p.db, accountId) : null,
    invoices: p.mode === "metered" && p.ctx ? await invoices(p.ctx, accountId) : null,
  };
}

export type BillingSummary = Awaited<ReturnType<typeof billingSummary>>;

async function invoices(ctx: BillingContext, accountId: string) {
  const customer = await customerOf(ctx, accountId);
  if (!customer) return [];
  try {
    const list = await ctx.stripe.invoices.list({ customer, limit: 12 });
    return list.data.map((i) => ({
      id: i.id ?? null,
      status: i.status,
      currency: i.currency,
      amount_due_usd: i.currency === "usd" ? formatUsd(i.amount_due * MICROS_PER_CENT) : null,
      period_start: iso(i.period_start * 1000),
      period_end: iso(i.period_end * 1000),
      url: i.hosted_invoice_url ?? null,
    }));
  } catch (err) {
    ctx.log.warn("stripe_invoices_unavailable", { ...stripeFailure(err) });
    return null;
  }
}
