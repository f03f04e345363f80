import { eq } from "drizzle-orm";
import type { PrivacyDeps } from "./privacyDeps";
import type { Actor } from "../audit/audit";
import { requireLiveAccount } from "../accounts/accounts";
import { liveSession } from "../accounts/sessions";
import { accounts, apiKeys } from "../db/schema";
import { personalKeyOwners } from "../accounts/erasure";
import { errorKind } from "../lib/log";
import { eraseRows, type ErasedCounts } from "./eraseRows";
import { recordRequest } from "./rights";
import { all, one, transaction } from "../db/tx";

/** Why an account is erased: the person asked, a child's account is removed (Policy §15), or an operator decided. */
export const ERASURE_REASONS = ["request", "child", "admin"] as const;
export type ErasureReason = (typeof ERASURE_REASONS)[number];

/** Erasure over HTTP needs a sign-in this recent: a session opened from a fresh magic link. */
export const RECENT_SIGN_IN_MS = 10 * 60_000;

interface ErasureReport {
  account_id: string;
  status: "erased";
  reason: ErasureReason;
  request_id: string;
  removed: ErasedCounts;
  /** Billing rows kept under legal hold (Policy §8), now pointing at an unlinkable tombstone. */
  billing_rows_held: number;
  /** `deleted`, `none` (never a Stripe customer) or `pending` (Stripe unreachable: retried by the retention run). */
  stripe_customer: "deleted" | "none" | "pending";
}

/** Whether the session behind this cookie token was opened within RECENT_SIGN_IN_MS. */
export async function signedInRecently(
  deps: Pick<PrivacyDeps, "db" | "clock">,
  token: string | null,
): Promise<boolean> {
  const row = token === null ? null : await liveSession(deps, token);
  return row !== null && deps.clock.now() - row.createdAt <= RECENT_SIGN_IN_MS;
}

/**
 * Erase a person (Policy §8, §14, §15; SPEC "Erasure"), at once whatever the reason. In metered
 * mode the meter is drained first so usage already served is still invoiced; then the Stripe
 * customer is deleted through billing. If Stripe cannot be reached the local erasure goes ahead
 * anyway and the customer link moves to the tombstone, where the retention run retries it.
 * Locally, first the account's data key is destroyed, in a transaction of its own (crypto-
 * shredding: from its commit on, no copy of the person's ciphertexts — WAL, dead tuples, a backup
 * taken earlier — decrypts with the current keys, even if what follows fails). Then, in one
 * transaction: the email, keys, sessions, links, usage rows with their IPs,
 * aggregates and every other row about the person go; billing rows stay under legal hold,
 * repointed at a random tombstone id of which no mapping is kept; the account row stays as a bare
 * id with status `erased`, so the audit chain (ids only) stays intact. Afterwards the WAL is
 * checkpointed so the erased bytes (zeroed by secure_delete) leave the disk files.
 */
export async function eraseAccount(
  deps: PrivacyDeps,
  accountId: string,
  reason: ErasureReason,
  actor: Actor,
): Promise<ErasureReport> {
  await requireLiveAccount(deps.db, accountId);
  if (deps.billing.mode === "metered") await deps.billing.drainMeter();
  let stripe: ErasureReport["stripe_customer"];
  try {
    stripe = (await deps.billing.deleteCustomer(accountId)) ? "deleted" : "none";
  } catch (err) {
    deps.log.warn("stripe_customer_delete_deferred", { account: accountId, kind: errorKind(err) });
    stripe = "pending";
  }
  // Rows still queued in the usage writer are written now, so the transaction below erases them too.
  await deps.usageWriter.flush();
  const keyIds = (
    await all(deps.db.select({ id: apiKeys.id }).from(apiKeys).where(eq(apiKeys.accountId, accountId)))
  ).map((k) => k.id);
  await transaction(deps.db, async (tx) => {
    const account = await one(
      tx.select({ emailIndex: accounts.emailIndex }).from(accounts).where(eq(accounts.id, accountId)),
    );
    await deps.dataKeys.destroy(
      tx,
      await personalKeyOwners(tx, { accountId, emailIndex: account?.emailIndex ?? null }),
    );
  });
  const { removed, held, requestId } = await transaction(deps.db, async (tx) => {
    await requireLiveAccount(tx, accountId);
    const request = await recordRequest(deps, tx, { accountId, kind: "erase", actor, scope: reason, done: true });
    const result = await eraseRows(deps, tx, accountId, keyIds);
    await deps.audit.record(
      {
        actor,
        action: "account.erase",
        target: accountId,
        details: { reason, request: request.id, billing_rows_held: result.held, stripe },
      },
      tx,
    );
    return { ...result, requestId: request.id };
  });
  await deps.handle.purgeErased();
  await deps.authView.refreshAccount(accountId);
  for (const id of keyIds) await deps.authView.refreshKey(id);
  deps.log.info("account_erased", { account: accountId, reason, billing_rows_held: held });
  return {
    account_id: accountId,
    status: "erased",
    reason,
    request_id: requestId,
    removed,
    billing_rows_held: held,
    stripe_customer: stripe,
  };
}
