import { eq, getTableName } from "drizzle-orm";
import type { Clock } from "../lib/clock";
import { accountsErasure } from "../accounts/erasure";
import { billingErasure } from "../billing/erasure";
import { deleteByAccount, type ErasureRule } from "../db/erasure";
import { accounts, emailChanges, policyNotices, rightsRequests } from "../db/schema";
import type { Tx } from "../db/tx";
import { keysErasure } from "../keys/erasure";
import { newId, TOMBSTONE_PREFIX } from "../lib/ids";
import { usageErasure } from "../usage/erasure";
import { one } from "../db/tx";

export interface ErasedCounts {
  keys: number;
  sessions: number;
  magic_links: number;
  usage_events: number;
  usage_daily: number;
}

/** Erasure of the privacy tables: pending address changes and policy notices go; the rights ledger stays (Policy §14). */
const privacyErasure: ErasureRule[] = [
  {
    table: emailChanges,
    export: { sections: ["pending_email_changes"] },
    action: "delete",
    erase: deleteByAccount(emailChanges, emailChanges.accountId),
  },
  {
    table: policyNotices,
    export: { sections: ["policy_notices"] },
    action: "delete",
    erase: deleteByAccount(policyNotices, policyNotices.accountId),
  },
  {
    table: rightsRequests,
    export: { sections: ["rights_requests"] },
    action: "keep",
    why: "the rights ledger (GDPR Art. 12(3), Policy §14) records the erasure itself and holds nothing personal",
  },
];

/** Every table's erasure rule, as each domain declares it; the account row is scrubbed last. */
export const ERASURE_RULES: readonly ErasureRule[] = [
  ...usageErasure,
  ...keysErasure,
  ...privacyErasure,
  ...billingErasure,
  ...accountsErasure,
];

/**
 * The local part of an erasure, inside the caller's transaction: every registered rule runs, so
 * everything about the account goes, billing is repointed, and the account row keeps only its id,
 * status `erased` and dates.
 */
export async function eraseRows(
  deps: { clock: Clock },
  tx: Tx,
  accountId: string,
  keyIds: string[],
): Promise<{ removed: ErasedCounts; held: number }> {
  const account = await one(
    tx.select({ emailIndex: accounts.emailIndex }).from(accounts).where(eq(accounts.id, accountId)),
  );
  const scope = {
    accountId,
    keyIds,
    emailIndex: account?.emailIndex ?? null,
    tombstone: newId(TOMBSTONE_PREFIX),
    now: deps.clock.now(),
  };
  const changed = new Map<string, number>();
  for (const rule of ERASURE_RULES)
    if (rule.action !== "keep") changed.set(getTableName(rule.table), await rule.erase(tx, scope));
  const count = (table: string) => changed.get(table) ?? 0;
  return {
    removed: {
      keys: count("api_keys"),
      sessions: count("sessions"),
      magic_links: count("magic_links"),
      usage_events: count("usage_events"),
      usage_daily: count("usage_daily"),
    },
    held: count("billing_ledger"),
  };
}
