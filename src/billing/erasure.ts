import { eq } from "drizzle-orm";
import type { ErasureRule, ErasureScope } from "../db/erasure";
import { billingCheckouts, billingCustomers, billingLedger, meterOutbox } from "../db/schema";
import { changes, type Tx } from "../db/tx";
import { newId, TOMBSTONE_PREFIX } from "../lib/ids";

type Repoint = (tx: Tx, scope: Pick<ErasureScope, "accountId" | "tombstone">) => number;

/** The ledger moves whole (a trigger lets only `account_id` change). */
const repointLedger: Repoint = (tx, { accountId, tombstone }) => {
  tx.update(billingLedger).set({ accountId: tombstone }).where(eq(billingLedger.accountId, accountId)).run();
  return changes(tx);
};

/** Checkouts move with their payment link dropped. */
const repointCheckouts: Repoint = (tx, { accountId, tombstone }) => {
  tx.update(billingCheckouts)
    .set({ accountId: tombstone, url: null })
    .where(eq(billingCheckouts.accountId, accountId))
    .run();
  return changes(tx);
};

/** A Stripe customer link still waiting for an unreachable Stripe. */
const repointCustomer: Repoint = (tx, { accountId, tombstone }) => {
  tx.update(billingCustomers).set({ accountId: tombstone }).where(eq(billingCustomers.accountId, accountId)).run();
  return changes(tx);
};

/** Meter events still waiting for Stripe. */
const repointOutbox: Repoint = (tx, { accountId, tombstone }) => {
  tx.update(meterOutbox).set({ accountId: tombstone }).where(eq(meterOutbox.accountId, accountId)).run();
  return changes(tx);
};

/** Billing rows are kept under legal hold (Policy §8), moved to the erasure's random tombstone. */
export const billingErasure: ErasureRule[] = [
  {
    table: billingLedger,
    export: { sections: ["billing.ledger", "billing.balance_micros", "billing.balance_usd"] },
    action: "tombstone",
    erase: repointLedger,
  },
  {
    table: billingCheckouts,
    export: { sections: ["billing.checkouts"] },
    action: "tombstone",
    erase: repointCheckouts,
  },
  {
    table: billingCustomers,
    export: { sections: ["billing.stripe_customer_id"] },
    action: "tombstone",
    erase: repointCustomer,
  },
  {
    table: meterOutbox,
    export: {
      why: "a copy of a billable usage row (id, time, cost) waiting for Stripe: the request itself is exported in usage.events",
    },
    action: "tombstone",
    erase: repointOutbox,
  },
];

/** Move an account's billing rows to a fresh tombstone; returns how many ledger rows moved. */
export function repointBilling(tx: Tx, accountId: string): number {
  const scope = { accountId, tombstone: newId(TOMBSTONE_PREFIX) };
  const held = repointLedger(tx, scope);
  for (const repoint of [repointCheckouts, repointCustomer, repointOutbox]) repoint(tx, scope);
  return held;
}
