import { sql } from "drizzle-orm";
import { check, index, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { integer } from "./columns";

export const LEDGER_KINDS = ["purchase", "usage", "refund", "grant", "adjustment"] as const;
export type LedgerKind = (typeof LEDGER_KINDS)[number];

/**
 * The credit ledger (Policy §5 billing records, §8 legal obligations): append-only, one row per
 * money movement in integer micro-dollars, the balance is the sum. Rows hold the account id, the
 * amount and a payment reference (a Stripe object id) and nothing personal, so they can stay under
 * legal hold for `retention.billing_years` after the person is erased. A trigger refuses changes to
 * every column but `account_id` (which erasure may point at a tombstone). `seq` orders rows by commit,
 * so the in-memory balances follow the table by reading only what is newer.
 */
export const billingLedger = sqliteTable(
  "billing_ledger",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    id: text("id").notNull().unique(),
    accountId: text("account_id").notNull(),
    at: integer("at").notNull(),
    kind: text("kind", { enum: LEDGER_KINDS }).notNull(),
    amountMicros: integer("amount_micros").notNull(),
    /** Usage debits: how many billable requests the row covers. */
    requests: integer("requests"),
    /** Purchases: the Checkout Session id; refunds: the Charge id. */
    ref: text("ref"),
    /** Grants and adjustments: the operator's reason (checked to hold no email address). */
    reason: text("reason"),
  },
  (t) => [
    index("billing_ledger_account_idx").on(t.accountId, t.seq),
    // One credit per Checkout Session, however often its events arrive.
    uniqueIndex("billing_ledger_purchase_ref_idx").on(t.ref).where(sql`kind = 'purchase'`),
    check(
      "billing_ledger_sign_check",
      sql`(kind IN ('purchase', 'grant') AND amount_micros > 0) OR (kind IN ('usage', 'refund') AND amount_micros < 0) OR (kind = 'adjustment' AND amount_micros <> 0)`,
    ),
  ],
);

/** Stripe webhook events already applied: inserted in the transaction of their effect. */
export const stripeEvents = sqliteTable("stripe_events", {
  id: text("id").primaryKey(),
  type: text("type").notNull(),
  processedAt: integer("processed_at").notNull(),
});

/** The Stripe customer of an account; created without email or name, deleted on erasure (Policy §10). */
export const billingCustomers = sqliteTable("billing_customers", {
  accountId: text("account_id").primaryKey(),
  stripeCustomerId: text("stripe_customer_id").notNull().unique(),
  createdAt: integer("created_at").notNull(),
});

export const CHECKOUT_STATUSES = ["open", "complete", "expired", "failed"] as const;
export type CheckoutStatus = (typeof CHECKOUT_STATUSES)[number];

/** Checkout Sessions started from `POST /account/billing/checkout`, shown as links while open. */
export const billingCheckouts = sqliteTable(
  "billing_checkouts",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id").notNull(),
    amountMicros: integer("amount_micros").notNull(),
    url: text("url"),
    status: text("status", { enum: CHECKOUT_STATUSES }).notNull(),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
  },
  (t) => [index("billing_checkouts_account_idx").on(t.accountId, t.createdAt)],
);

/**
 * Metered mode: one row per billable request, written with its usage row, deleted once Stripe
 * has accepted the meter event whose `identifier` is the request id. `failed_code` parks a row
 * Stripe refused outright (never retried; shown to admins).
 */
export const meterOutbox = sqliteTable(
  "meter_outbox",
  {
    requestId: text("request_id").primaryKey(),
    accountId: text("account_id").notNull(),
    at: integer("at").notNull(),
    valueMicros: integer("value_micros").notNull(),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: integer("next_attempt_at").notNull(),
    failedCode: text("failed_code"),
  },
  (t) => [index("meter_outbox_due_idx").on(t.failedCode, t.nextAttemptAt)],
);
