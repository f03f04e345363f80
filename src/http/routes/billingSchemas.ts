import { t } from "elysia";
import { CHECKOUT_STATUSES, LEDGER_KINDS } from "../../db/schema";

/** The t.* models of the billing routes. Money is integer micro-dollars beside its exact decimal text. */
const usd = t.String({ pattern: "^-?\\d+\\.\\d{2,6}$", description: "US dollars, exact decimal text" });
const when = t.String({ format: "date-time" });

/** A balance: an integer, given as decimal text only beyond ±(2^53 − 1), where JSON numbers stop being exact. */
export const MicrosSum = t.Union([t.Integer(), t.String({ pattern: "^-?\\d+$" })], {
  description: "Micro-dollars: a number, or its exact decimal text beyond ±9007199254740991",
});

export const LedgerRowModel = t.Object({
  id: t.String(),
  at: when,
  kind: t.UnionEnum(LEDGER_KINDS),
  amount_micros: t.Integer(),
  amount_usd: usd,
  requests: t.Nullable(t.Integer()),
  ref: t.Nullable(t.String({ description: "Stripe Checkout Session (purchase) or Charge (refund)" })),
  reason: t.Nullable(t.String()),
});

export const BillingModel = t.Object({
  mode: t.UnionEnum(["off", "prepaid", "metered"]),
  balance_micros: MicrosSum,
  balance_usd: usd,
  ledger: t.Array(LedgerRowModel, { description: "Newest first" }),
  checkouts: t.Array(
    t.Object({
      id: t.String(),
      amount_usd: usd,
      status: t.UnionEnum(CHECKOUT_STATUSES),
      url: t.Nullable(t.String()),
      created_at: when,
      expires_at: when,
    }),
  ),
  meter: t.Nullable(
    t.Object(
      { pending: t.Integer(), parked: t.Integer() },
      { description: "Metered mode: meter events not yet accepted by Stripe" },
    ),
  ),
  invoices: t.Nullable(
    t.Array(
      t.Object({
        id: t.Nullable(t.String()),
        status: t.Nullable(t.String()),
        currency: t.String(),
        amount_due_usd: t.Nullable(usd),
        period_start: when,
        period_end: when,
        url: t.Nullable(t.String()),
      }),
    ),
  ),
});

export const CheckoutBody = t.Object({
  amount_usd: t.Union([t.Number(), t.String({ maxLength: 16 })], { description: "1 to 10000, at most two decimals" }),
});

export const CheckoutModel = t.Object({
  id: t.String(),
  url: t.Nullable(t.String()),
  amount_usd: usd,
  expires_at: when,
});

export const CreditBody = t.Object({
  kind: t.Optional(t.UnionEnum(["grant", "adjustment"])),
  amount_usd: t.String({ maxLength: 20, description: "Grant: positive; adjustment: either sign. Up to six decimals." }),
  reason: t.String({ minLength: 1, maxLength: 200, description: "Kept with the billing record: no personal data" }),
});
