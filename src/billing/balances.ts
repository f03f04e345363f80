import { and, eq, gt, lte, max } from "drizzle-orm";
import type { LedgerBalance } from "../coord/port";
import type { Db } from "../db/client";
import { billingLedger } from "../db/schema";
import { all, one } from "../db/tx";
import { exactSum } from "./ledger";

/**
 * Balances in memory, kept in step with the ledger so admission costs no aggregate query. Each
 * look reads only ledger rows newer than the last one seen (an indexed range on `seq`, usually
 * empty), whoever wrote them: webhooks, the usage writer, or `kriora credits` in another process.
 * SQLite commits one writer at a time, so `seq` order is commit order and nothing is skipped.
 */
interface BalanceView {
  /** Exact (bigint micro-dollars): a sum of ledger rows can pass 2^53. */
  balance(accountId: string): Promise<bigint>;
  /** The balance with the ledger row it is counted up to (seeds a shared wallet). */
  ledger(accountId: string): Promise<LedgerBalance>;
}

interface NewRow {
  seq: number;
  accountId: string;
  kind: string;
  amount: number;
}

/** `seen` gets each ledger row the view reads after it was created (in `seq` order). */
export async function createBalanceView(db: Db, seen: (row: NewRow) => void = () => {}): Promise<BalanceView> {
  const balances = new Map<string, bigint>();
  let lastSeq = (await one(db.select({ seq: max(billingLedger.seq) }).from(billingLedger)))?.seq ?? 0;

  const newer = (after: number) =>
    db
      .select({
        seq: billingLedger.seq,
        accountId: billingLedger.accountId,
        kind: billingLedger.kind,
        amount: billingLedger.amountMicros,
      })
      .from(billingLedger)
      .where(gt(billingLedger.seq, after))
      .orderBy(billingLedger.seq);
  const upTo = (accountId: string, seq: number) =>
    db
      .select({ total: exactSum })
      .from(billingLedger)
      .where(and(eq(billingLedger.accountId, accountId), lte(billingLedger.seq, seq)));

  // Looks run one at a time, so a ledger row is never added twice and a first load matches `lastSeq`.
  let last: Promise<unknown> = Promise.resolve();
  const look = async (accountId: string): Promise<LedgerBalance> => {
    for (const row of await all(newer(lastSeq))) {
      const current = balances.get(row.accountId);
      if (current !== undefined) balances.set(row.accountId, current + BigInt(row.amount));
      lastSeq = row.seq;
      seen(row);
    }
    let b = balances.get(accountId);
    if (b === undefined) {
      b = BigInt((await one(upTo(accountId, lastSeq)))?.total ?? "0");
      balances.set(accountId, b);
    }
    return { micros: b, seq: lastSeq };
  };
  const ledger = (accountId: string) => {
    const result = last.then(() => look(accountId));
    last = result.catch(() => undefined);
    return result;
  };

  return {
    balance: async (accountId) => (await ledger(accountId)).micros,
    ledger,
  };
}
