import { and, eq, inArray, isNotNull, like, lt, lte, notInArray, or } from "drizzle-orm";
import type { PrivacyDeps } from "./privacyDeps";
import { transaction, exec, all, type Tx } from "../db/tx";
import { repointBilling } from "../billing/erasure";
import { carryForward } from "../billing/ledger";
import {
  abuseFlags,
  accounts,
  billingCheckouts,
  billingCustomers,
  billingLedger,
  emailChanges,
  magicLinks,
  sessions,
  stripeEvents,
  underRestriction,
  usageDaily,
  usageEvents,
} from "../db/schema";
import { addMonthsUtc, DAY_MS } from "../lib/clock";
import { errorKind } from "../lib/log";
import { pruneAudit } from "./auditRetention";
import { TOMBSTONE_PREFIX } from "../lib/ids";
import { deleteLinks } from "../accounts/magicLinks";
import { completeRequest } from "./rights";
import { deleteUsage } from "../usage/erasure";

interface RetentionCounts {
  ips_erased: number;
  /** Ended address blocks: their subject is an HMAC of an IP, so they go with the IPs. */
  address_blocks_deleted: number;
  usage_events_deleted: number;
  sessions_deleted: number;
  magic_links_deleted: number;
  email_changes_lapsed: number;
  billing_rows_deleted: number;
  checkouts_deleted: number;
  stripe_events_deleted: number;
  audit_entries_pruned: number;
  /** Usage and ledger rows of erased accounts written by requests still in flight when the erasure ran. */
  erased_leftovers: number;
  /** Stripe customers of erased accounts whose deletion had to wait for Stripe: deleted now (or, dry run, waiting). */
  stripe_customers_deleted: number;
}

type RetentionReport = RetentionCounts & { dry_run: boolean };

class DryRun extends Error {}

const restricted = (tx: Tx) => tx.select({ id: accounts.id }).from(accounts).where(underRestriction);
const erased = (tx: Tx) => tx.select({ id: accounts.id }).from(accounts).where(eq(accounts.status, "erased"));

/**
 * Apply the retention windows (Policy §8, SPEC "Retention") now. A restricted account's usage
 * and billing rows are kept as they are (Art. 18: data kept). Everything happens in one
 * transaction; a dry run rolls it back, so it reports exactly what a real run would change.
 * Logs one summary line of counts; after a real run the WAL is checkpointed so the erased bytes
 * leave the disk files.
 */
export async function runRetention(deps: PrivacyDeps, opts: { dryRun?: boolean } = {}): Promise<RetentionReport> {
  let counts: Omit<RetentionCounts, "stripe_customers_deleted"> | undefined;
  try {
    await transaction(deps.db, async (tx) => {
      counts = await applyWindows(deps, tx);
      if (opts.dryRun) throw new DryRun();
      if (Object.values(counts).some((n) => n > 0))
        await deps.audit.record({ actor: "system", action: "retention.run", details: { ...counts } }, tx);
    });
  } catch (err) {
    if (!(err instanceof DryRun)) throw err;
  }
  const report: RetentionReport = {
    ...counts!,
    stripe_customers_deleted: await deletePendingCustomers(deps, opts.dryRun ?? false),
    dry_run: opts.dryRun ?? false,
  };
  if (!report.dry_run) await deps.handle.purgeErased();
  deps.log.info("retention_run", { ...report });
  return report;
}

async function applyWindows(deps: PrivacyDeps, tx: Tx): Promise<Omit<RetentionCounts, "stripe_customers_deleted">> {
  const now = deps.clock.now();
  const { ip_days, usage_detail_days, billing_years, audit_years } = deps.config.retention;
  const billingBefore = addMonthsUtc(now, -12 * billing_years);

  const ipBefore = now - ip_days * DAY_MS;
  const ips = await exec(
    tx
      .update(usageEvents)
      .set({ ipEnc: null })
      .where(
        and(
          isNotNull(usageEvents.ipEnc),
          lt(usageEvents.at, ipBefore),
          notInArray(usageEvents.accountId, restricted(tx)),
        ),
      ),
  );
  const blocks = await exec(
    tx
      .delete(abuseFlags)
      .where(
        and(
          eq(abuseFlags.kind, "address_block"),
          lt(abuseFlags.createdAt, ipBefore),
          or(lte(abuseFlags.expiresAt, now), isNotNull(abuseFlags.clearedAt)),
        ),
      ),
  );
  // The daily aggregates already hold these rows' totals (written in the same transaction).
  const detail = await exec(
    tx
      .delete(usageEvents)
      .where(
        and(lt(usageEvents.at, now - usage_detail_days * DAY_MS), notInArray(usageEvents.accountId, restricted(tx))),
      ),
  );
  const sessionCount = await exec(tx.delete(sessions).where(lte(sessions.expiresAt, now)));
  const links = await deleteLinks(deps, tx, lte(magicLinks.expiresAt, now));
  const lapsed = await all(tx.select().from(emailChanges).where(lte(emailChanges.expiresAt, now)));
  for (const c of lapsed) await completeRequest(deps, tx, c.requestId, "lapsed");
  await exec(tx.delete(emailChanges).where(lte(emailChanges.expiresAt, now)));

  let billingRows = 0;
  const owners = tx
    .selectDistinct({ id: billingLedger.accountId })
    .from(billingLedger)
    .where(and(lt(billingLedger.at, billingBefore), notInArray(billingLedger.accountId, restricted(tx))));
  for (const { id } of await all(owners)) billingRows += await carryForward(tx, id, billingBefore);
  const checkouts = await exec(
    tx
      .delete(billingCheckouts)
      .where(
        and(lt(billingCheckouts.createdAt, billingBefore), notInArray(billingCheckouts.accountId, restricted(tx))),
      ),
  );
  const events = await exec(tx.delete(stripeEvents).where(lt(stripeEvents.processedAt, billingBefore)));

  let leftovers = 0;
  const late = await all(
    tx
      .selectDistinct({ id: usageDaily.accountId })
      .from(usageDaily)
      .where(inArray(usageDaily.accountId, erased(tx))),
  );
  for (const { id } of late) leftovers += (await deleteUsage(tx, id)).events;
  for (const { id } of await all(
    tx
      .selectDistinct({ id: billingLedger.accountId })
      .from(billingLedger)
      .where(inArray(billingLedger.accountId, erased(tx))),
  ))
    leftovers += await repointBilling(tx, id);

  return {
    ips_erased: ips,
    address_blocks_deleted: blocks,
    usage_events_deleted: detail,
    sessions_deleted: sessionCount,
    magic_links_deleted: links,
    email_changes_lapsed: lapsed.length,
    billing_rows_deleted: billingRows,
    checkouts_deleted: checkouts,
    stripe_events_deleted: events,
    audit_entries_pruned: await pruneAudit(tx, addMonthsUtc(now, -12 * audit_years), now),
    erased_leftovers: leftovers,
  };
}

/** Retry the Stripe deletions an erasure could not finish (their customer links sit on tombstones). */
async function deletePendingCustomers(deps: PrivacyDeps, dryRun: boolean): Promise<number> {
  const pending = await all(
    deps.db
      .select({ id: billingCustomers.accountId })
      .from(billingCustomers)
      .where(like(billingCustomers.accountId, `${TOMBSTONE_PREFIX}_%`)),
  );
  if (dryRun) return pending.length;
  let deleted = 0;
  for (const { id } of pending) {
    try {
      if (await deps.billing.deleteCustomer(id)) deleted++;
    } catch (err) {
      deps.log.warn("stripe_customer_delete_deferred", { kind: errorKind(err) });
    }
  }
  return deleted;
}
