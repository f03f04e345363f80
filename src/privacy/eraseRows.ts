import { eq, inArray, or, sql } from "drizzle-orm";
import type { Deps } from "../deps";
import type { Tx } from "../db/tx";
import {
  abuseFlags,
  accounts,
  apiKeys,
  billingCheckouts,
  billingCustomers,
  billingLedger,
  emailChanges,
  magicLinks,
  meterOutbox,
  policyNotices,
  sessions,
  trendObjections,
  usageDaily,
  usageEvents,
} from "../db/schema";
import { newId, TOMBSTONE_PREFIX } from "../lib/ids";

export interface ErasedCounts {
  keys: number;
  sessions: number;
  magic_links: number;
  usage_events: number;
  usage_daily: number;
}

/** Rows changed by the last statement on this connection (drizzle's bun-sqlite `run()` returns nothing). */
export const changes = (tx: Tx) => tx.get<[number]>(sql`SELECT changes()`)![0];

/**
 * Billing rows kept under legal hold move to a fresh random tombstone: the ledger (only
 * `account_id` may change, by trigger), checkouts (their payment link dropped), and a Stripe customer
 * link or meter events still waiting for an unreachable Stripe. Returns how many ledger rows moved.
 */
export function repointBilling(tx: Tx, accountId: string): number {
  const tombstone = newId(TOMBSTONE_PREFIX);
  tx.update(billingLedger).set({ accountId: tombstone }).where(eq(billingLedger.accountId, accountId)).run();
  const held = changes(tx);
  tx.update(billingCheckouts)
    .set({ accountId: tombstone, url: null })
    .where(eq(billingCheckouts.accountId, accountId))
    .run();
  tx.update(billingCustomers).set({ accountId: tombstone }).where(eq(billingCustomers.accountId, accountId)).run();
  tx.update(meterOutbox).set({ accountId: tombstone }).where(eq(meterOutbox.accountId, accountId)).run();
  return held;
}

/** Usage rows (with their encrypted IPs) and the account's daily aggregates. */
export function deleteUsage(tx: Tx, accountId: string): { events: number; daily: number } {
  tx.delete(usageEvents).where(eq(usageEvents.accountId, accountId)).run();
  const events = changes(tx);
  tx.delete(usageDaily).where(eq(usageDaily.accountId, accountId)).run();
  return { events, daily: changes(tx) };
}

/**
 * The local part of an erasure, inside the caller's transaction: everything about the account
 * goes, billing is repointed, and the account row keeps only its id, status `erased` and dates.
 */
export function eraseRows(
  deps: Pick<Deps, "clock">,
  tx: Tx,
  accountId: string,
  keyIds: string[],
): { removed: ErasedCounts; held: number } {
  const account = tx.select({ emailIndex: accounts.emailIndex }).from(accounts).where(eq(accounts.id, accountId)).get();
  const usage = deleteUsage(tx, accountId);
  tx.delete(sessions).where(eq(sessions.accountId, accountId)).run();
  const sessionCount = changes(tx);
  const linkMatch = account?.emailIndex
    ? or(eq(magicLinks.accountId, accountId), eq(magicLinks.emailIndex, account.emailIndex))
    : eq(magicLinks.accountId, accountId);
  tx.delete(magicLinks).where(linkMatch).run();
  const links = changes(tx);
  if (keyIds.length > 0) tx.delete(abuseFlags).where(inArray(abuseFlags.subject, keyIds)).run();
  tx.delete(apiKeys).where(eq(apiKeys.accountId, accountId)).run();
  const keys = changes(tx);
  tx.delete(emailChanges).where(eq(emailChanges.accountId, accountId)).run();
  tx.delete(policyNotices).where(eq(policyNotices.accountId, accountId)).run();
  tx.delete(trendObjections).where(eq(trendObjections.accountId, accountId)).run();
  const held = repointBilling(tx, accountId);
  tx.update(accounts)
    .set({
      emailEnc: null,
      emailIndex: null,
      status: "erased",
      role: "user",
      ageConfirmedAt: null,
      policyVersion: null,
      policyAcceptedAt: null,
      verifiedAt: null,
      requireZdr: false,
      regions: null,
      updatedAt: deps.clock.now(),
    })
    .where(eq(accounts.id, accountId))
    .run();
  return {
    removed: { keys, sessions: sessionCount, magic_links: links, usage_events: usage.events, usage_daily: usage.daily },
    held,
  };
}
