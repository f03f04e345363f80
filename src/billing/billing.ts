import type { Actor, AuditTrail } from "../audit/audit";
import type { Config } from "../config/schema";
import type { Wallets } from "../coord/port";
import type { Db } from "../db/client";
import type { Clock } from "../lib/clock";
import { KrioraError } from "../lib/errors";
import type { Logger } from "../lib/log";
import type { UsageBatchHook } from "../usage/writer";
import { createBalanceView } from "./balances";
import { createCheckout, type CheckoutRow } from "./checkout";
import type { BillingContext } from "./context";
import { changeCredits, type CreditChange } from "./credits";
import { customerOf, deleteCustomer } from "./customers";
import { appendLedger, type LedgerRow } from "./ledger";
import { createMeterSender, enqueueMeterEvents } from "./meter";
import { createStripeClient, stripeFailure, type StripeEndpoint } from "./stripe";
import { billingSummary, type BillingMode, type BillingSummary } from "./summary";
import { receiveStripeEvent, type WebhookOutcome } from "./webhooks";

export interface Billing {
  /** The mode in force: the configured one, or `off` when a Stripe secret is missing from the environment. */
  readonly mode: BillingMode;
  /**
   * For the proxy, before any upstream call: null lets the request through; in prepaid mode the
   * request holds its estimated cost (`micros`) under `requestId`, and an account whose balance
   * (less what requests in flight hold) is used up gets `payment_required` (402). No aggregate query.
   */
  admit(accountId: string, requestId: string, micros: number): Promise<KrioraError | null>;
  /**
   * The request ended having cost `micros`: its hold becomes a debit (prepaid mode), once per
   * request — the usage writer settles each record, admission each request it let through.
   */
  settle(accountId: string, requestId: string, micros: number): void;
  balance(accountId: string): Promise<bigint>;
  /** Billing's part of each usage flush (prepaid debits, the metered outbox); absent when billing is off. */
  onUsageBatch?: UsageBatchHook;
  checkout(accountId: string, amountMicros: number): Promise<CheckoutRow>;
  receiveWebhook(rawBody: string, signature: string | null): Promise<WebhookOutcome>;
  summary(accountId: string, limit?: number): Promise<BillingSummary>;
  changeCredits(change: CreditChange, actor: Actor): Promise<LedgerRow>;
  /** Erasure: delete the account's Stripe customer (billing rows stay under legal hold). */
  deleteCustomer(accountId: string): Promise<boolean>;
  /** Start the metered-mode sender (the server calls this; CLI commands do not); it sends while `leads()`. */
  start(leads: () => boolean): void;
  stop(): Promise<void>;
  /** Send every due meter event now (tests, and a last flush on shutdown). */
  drainMeter(): Promise<number>;
}

interface BillingOptions {
  config: Readonly<Config>;
  db: Db;
  clock: Clock;
  log: Logger;
  audit: AuditTrail;
  /** Prepaid balances as admission sees them: in this process, or shared through Redis. */
  wallets: Wallets;
  /** Where the Stripe secrets are read (names from `billing.*_env`); process.env by default. */
  env?: Record<string, string | undefined>;
  stripe?: StripeEndpoint;
}

const notEnabled = () => new KrioraError("not_found", "Billing is not enabled on this gateway.");

export async function createBilling(o: BillingOptions): Promise<Billing> {
  const env = o.env ?? process.env;
  const { mode: configured, stripe_secret_key_env: keyEnv, stripe_webhook_secret_env: hookEnv } = o.config.billing;
  const secretKey = env[keyEnv];
  const webhookSecret = env[hookEnv];
  const missing = [secretKey ? null : keyEnv, webhookSecret ? null : hookEnv].filter((n) => n !== null);
  if (configured !== "off" && missing.length > 0)
    o.log.warn("billing_disabled", { configured_mode: configured, missing_env: missing.join(",") });
  const mode: BillingMode = missing.length === 0 ? configured : "off";
  const ctx: BillingContext | null =
    mode === "off" || !secretKey
      ? null
      : {
          config: o.config,
          db: o.db,
          clock: o.clock,
          log: o.log,
          audit: o.audit,
          stripe: createStripeClient(secretKey, o.stripe),
        };
  // Credits, grants and refunds reach a shared wallet from whichever instance sees them first (once
  // per ledger row); usage debits reached it when each request settled.
  const view = await createBalanceView(o.db, (row) => {
    if (mode === "prepaid" && row.kind !== "usage")
      void o.wallets.credit(row.accountId, `ledger:${row.seq}`, row.amount, row.seq);
  });
  const sender = ctx && mode === "metered" ? createMeterSender(ctx) : null;
  const need = () => {
    if (!ctx || !webhookSecret) throw notEnabled();
    return { ctx, webhookSecret };
  };

  return {
    mode,
    async admit(accountId, requestId, micros) {
      if (mode !== "prepaid") return null;
      // One look at the ledger each time: it seeds the wallet, and passes new credits on to it.
      const ledger = await view.ledger(accountId);
      if (await o.wallets.hold(accountId, requestId, micros, () => ledger)) return null;
      return new KrioraError(
        "payment_required",
        "This account's prepaid balance is used up: add credits with POST /account/billing/checkout.",
      );
    },
    settle(accountId, requestId, micros) {
      if (mode === "prepaid") void o.wallets.settle(accountId, requestId, micros);
    },
    balance: (accountId) => view.balance(accountId),
    onUsageBatch:
      mode === "prepaid"
        ? (tx, rows) => debitUsage(tx, rows, o.clock.now())
        : mode === "metered"
          ? (tx, rows) => enqueueMeterEvents(tx, rows, o.clock.now())
          : undefined,
    async checkout(accountId, amountMicros) {
      const { ctx: c } = need();
      if (mode !== "prepaid")
        throw new KrioraError(
          "conflict",
          "Credits are bought in prepaid mode only; this gateway bills usage afterwards.",
        );
      try {
        return await createCheckout(c, accountId, amountMicros);
      } catch (err) {
        if (err instanceof KrioraError) throw err;
        o.log.error("stripe_checkout_failed", { ...stripeFailure(err) });
        throw new KrioraError("upstream_error", "The payment provider could not start a checkout; try again shortly.");
      }
    },
    receiveWebhook(rawBody, signature) {
      const { ctx: c, webhookSecret: secret } = need();
      return receiveStripeEvent(c, secret, rawBody, signature);
    },
    summary: (accountId, limit) => billingSummary({ db: o.db, clock: o.clock, mode, ctx }, accountId, limit),
    changeCredits: (change, actor) => changeCredits(o, change, actor),
    async deleteCustomer(accountId) {
      if (ctx) return deleteCustomer(ctx, accountId);
      if (await customerOf(o, accountId))
        throw new KrioraError("unavailable", `The Stripe customer cannot be deleted while ${keyEnv} is not set.`);
      return false;
    },
    start: (leads) => sender?.start(leads),
    stop: async () => sender?.stop(),
    drainMeter: async () => (sender ? sender.drain() : 0),
  };
}

/** Prepaid: one usage debit per account per flush, for the requests that cost something. */
async function debitUsage(tx: Parameters<UsageBatchHook>[0], rows: Parameters<UsageBatchHook>[1], at: number) {
  const perAccount = new Map<string, { micros: number; requests: number }>();
  for (const r of rows) {
    if (r.costMicros <= 0) continue;
    const d = perAccount.get(r.accountId) ?? { micros: 0, requests: 0 };
    d.micros += r.costMicros;
    d.requests++;
    perAccount.set(r.accountId, d);
  }
  for (const [accountId, d] of perAccount)
    await appendLedger(tx, { accountId, at, kind: "usage", amountMicros: -d.micros, requests: d.requests });
}
