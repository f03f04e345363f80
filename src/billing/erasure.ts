import { eq } from "drizzle-orm";
import type { ErasureRule, ErasureScope } from "../db/erasure";
import { billingCheckouts, billingCustomers, billingLedger, meterOutbox } from "../db/schema";
import { exec, type Tx } from "../db/tx";
import { newId, TOMBSTONE_PREFIX } from "../lib/ids";

type Repoint = (tx: Tx, scope: Pick<ErasureScope, "accountId" | "tombstone">) => Promise<number>;

/** The ledger moves whole (a trigger lets only `account_id` change). */
const repointLedger: Repoint = async (tx, { accountId, tombstone }) => {
  return await exec(
    tx.update(billingLedger).set({ accountId: tombstone }).where(eq(billingLedger.accountId, accountId)),
  );
};

/** Checkouts move with their payment link dropped. */
const repointCheckouts: Repoint = async (tx, { accountId, tombstone }) => {
  return await exec(
    tx
      .update(billingCheckouts)
      .set({ accountId: tombstone, url: null })
      .where(eq(billingCheckouts.accountId, accountId)),
  );
};

/** A Stripe customer link still waiting for an unreachable Stripe. */
const repointCustomer: Repoint = async (tx, { accountId, tombstone }) => {
  return await exec(
    tx.update(billingCustomers).set({ accountId: tombstone }).where(eq(billingCustomers.accountId, accountId)),
  );
};

/** Meter events still waiting for Stripe. */
const repointOutbox: Repoint = async (tx, { accountId, tombstone }) => {
  return await exec(tx.update(meterOutbox).set({ accountId: tombstone }).where(eq(meterOutbox.accountId, accountId)));
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
export async function repointBilling(tx: Tx, accountId: string): Promise<number> {
  const scope = { accountId, tombstone: newId(TOMBSTONE_PREFIX) };
  const held = await repointLedger(tx, scope);
  for (const repoint of [repointCheckouts, repointCustomer, repointOutbox]) await repoint(tx, scope);
  return held;
}
