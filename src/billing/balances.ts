import { and, eq, gt, lte, max, sql } from "drizzle-orm";
import type { LedgerBalance } from "../coord/port";
import type { Db } from "../db/client";
import { billingLedger } from "../db/schema";
import { exactSum } from "./ledger";

/**
 * Balances in memory, kept in step with the ledger so admission costs no aggregate query. Each
 * look reads only ledger rows newer than the last one seen (an indexed range on `seq`, usually
 * empty), whoever wrote them: webhooks, the usage writer, or `kriora credits` in another process.
 * SQLite commits one writer at a time, so `seq` order is commit order and nothing is skipped.
 */
interface BalanceView {
  /** Exact (bigint micro-dollars): a sum of ledger rows can pass 2^53. */
  balance(accountId: string): bigint;
  /** The balance with the ledger row it is counted up to (seeds a shared wallet). */
  ledger(accountId: string): LedgerBalance;
  /** Read the rows committed since the last look, passing each to `seen`. */
  catchUp(): void;
}

interface NewRow {
  seq: number;
  accountId: string;
  kind: string;
  amount: number;
}

export function createBalanceView(db: Db, seen: (row: NewRow) => void = () => {}): BalanceView {
  const balances = new Map<string, bigint>();
  let lastSeq =
    db
      .select({ seq: max(billingLedger.seq) })
      .from(billingLedger)
      .get()?.seq ?? 0;

  const newer = db
    .select({
      seq: billingLedger.seq,
      accountId: billingLedger.accountId,
      kind: billingLedger.kind,
      amount: billingLedger.amountMicros,
    })
    .from(billingLedger)
    .where(gt(billingLedger.seq, sql.placeholder("after")))
    .orderBy(billingLedger.seq)
    .prepare();
  const upTo = db
    .select({ total: exactSum })
    .from(billingLedger)
    .where(and(eq(billingLedger.accountId, sql.placeholder("account")), lte(billingLedger.seq, sql.placeholder("seq"))))
    .prepare();

  const catchUp = () => {
    for (const row of newer.all({ after: lastSeq })) {
      const current = balances.get(row.accountId);
      if (current !== undefined) balances.set(row.accountId, current + BigInt(row.amount));
      lastSeq = row.seq;
      seen(row);
    }
  };
  const balance = (accountId: string) => {
    catchUp();
    let b = balances.get(accountId);
    if (b === undefined) {
      b = BigInt(upTo.get({ account: accountId, seq: lastSeq })?.total ?? "0");
      balances.set(accountId, b);
    }
    return b;
  };

  return {
    balance,
    ledger: (accountId) => ({ micros: balance(accountId), seq: lastSeq }),
    catchUp,
  };
}
