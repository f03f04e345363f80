import { and, count, desc, eq, lt, max, sql, sum } from "drizzle-orm";
import type { Db } from "../db/client";
import { billingLedger, type LedgerKind } from "../db/schema";
import { newId } from "../lib/ids";
import { formatUsd } from "../lib/money";
import type { Tx } from "../db/tx";
import { iso } from "../lib/clock";
import { one, all, exec } from "../db/tx";

interface LedgerEntry {
  accountId: string;
  at: number;
  kind: LedgerKind;
  amountMicros: number;
  requests?: number;
  ref?: string;
  reason?: string;
}

export type LedgerRow = typeof billingLedger.$inferSelect;

/** Append one row; a purchase whose Checkout Session is already credited is skipped (returns undefined). */
export async function appendLedger(db: Tx, e: LedgerEntry): Promise<LedgerRow | undefined> {
  return await one(
    db
      .insert(billingLedger)
      .values({
        id: newId("led"),
        accountId: e.accountId,
        at: e.at,
        kind: e.kind,
        amountMicros: e.amountMicros,
        requests: e.requests,
        ref: e.ref,
        reason: e.reason,
      })
      .onConflictDoNothing()
      .returning(),
  );
}

/** SQLite's exact 64-bit sum of a ledger selection, as text (a JS number would round past 2^53). */
export const exactSum = sql<string>`cast(coalesce(sum(${billingLedger.amountMicros}), 0) as text)`;

/** The balance, derived from the ledger: the exact sum of every row of the account. */
export async function ledgerBalance(db: Tx, accountId: string): Promise<bigint> {
  const row = await one(
    db.select({ total: exactSum }).from(billingLedger).where(eq(billingLedger.accountId, accountId)),
  );
  return BigInt(row?.total ?? "0");
}

/** What has been refunded so far on a Stripe charge (a positive number of micro-dollars). */
export async function refundedOnCharge(db: Tx, chargeId: string): Promise<number> {
  const row = await one(
    db
      .select({ total: sum(billingLedger.amountMicros) })
      .from(billingLedger)
      .where(and(eq(billingLedger.kind, "refund"), eq(billingLedger.ref, chargeId))),
  );
  return -Number(row?.total ?? 0);
}

export async function recentLedger(db: Db, accountId: string, limit: number): Promise<LedgerRow[]> {
  return await all(
    db
      .select()
      .from(billingLedger)
      .where(eq(billingLedger.accountId, accountId))
      .orderBy(desc(billingLedger.seq))
      .limit(limit),
  );
}

/** A ledger row as accounts, admins and the CLI see it: exact decimal text beside the integer. */
export function describeLedgerRow(r: LedgerRow) {
  return {
    id: r.id,
    at: iso(r.at),
    kind: r.kind,
    amount_micros: r.amountMicros,
    amount_usd: formatUsd(r.amountMicros),
    requests: r.requests,
    ref: r.ref,
    reason: r.reason,
  };
}

/** `ref` of the adjustment that stands for rows deleted by the retention run. */
export const CARRY_FORWARD_REF = "retention:carry-forward";

/**
 * Retention (`retention.billing_years`): the account's rows dated before `before` are deleted and
 * replaced by one adjustment of their sum dated `before`, so every balance stays what it was. The
 * adjustment takes the `seq` of the newest row it replaces: balance views (balances.ts) have
 * counted those rows long ago and must not count their sum again as a new row. A lone earlier
 * carry-forward is left as it is. Returns how many rows were deleted.
 */
export async function carryForward(tx: Tx, accountId: string, before: number): Promise<number> {
  const old = and(eq(billingLedger.accountId, accountId), lt(billingLedger.at, before));
  const agg = await one(
    tx
      .select({ rows: count(), total: exactSum, lastSeq: max(billingLedger.seq), lastRef: max(billingLedger.ref) })
      .from(billingLedger)
      .where(old),
  );
  if (!agg || agg.rows === 0 || agg.lastSeq === null || (agg.rows === 1 && agg.lastRef === CARRY_FORWARD_REF)) return 0;
  // One row must hold the sum exactly: rows summing past 2^53 micro-dollars are kept as they are.
  const total = Number(agg.total);
  if (!Number.isSafeInteger(total)) return 0;
  await exec(tx.delete(billingLedger).where(old));
  if (total !== 0) {
    const day = iso(before).slice(0, 10);
    await exec(
      tx.insert(billingLedger).values({
        seq: agg.lastSeq,
        id: newId("led"),
        accountId,
        at: before,
        kind: "adjustment",
        amountMicros: total,
        ref: CARRY_FORWARD_REF,
        reason: `balance of the rows before ${day}, deleted by retention`,
      }),
    );
  }
  return agg.rows;
}
