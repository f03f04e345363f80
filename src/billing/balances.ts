import { and, eq, gt, inArray, lte, max, notInArray, or } from "drizzle-orm";
import type { LedgerBalance } from "../coord/port";
import type { Db } from "../db/client";
import type { Clock } from "../lib/clock";
import { billingLedger } from "../db/schema";
import { all, one } from "../db/tx";
import { exactSum } from "./ledger";

/**
 * Balances in memory, kept in step with the ledger so admission costs no aggregate query. Each
 * look reads the ledger rows newer than the last one seen (an indexed range on `seq`, usually
 * empty), whoever wrote them: webhooks, the usage writer, or `kriora credits` in another process.
 * `seq` order is not commit order (PostgreSQL hands out `seq` before a transaction commits; a
 * rolled-back one leaves a hole): a `seq` skipped below the newest one seen stays missing, and is
 * looked for again each time, until it shows up or is older than {@link LOOK_BACK_MS}.
 */
interface BalanceView {
  /** Exact (bigint micro-dollars): a sum of ledger rows can pass 2^53. */
  balance(accountId: string): Promise<bigint>;
  /** The balance with the ledger rows it counts (seeds a shared wallet). */
  ledger(accountId: string): Promise<LedgerBalance>;
}

interface NewRow {
  seq: number;
  accountId: string;
  kind: string;
  amount: number;
}

/** How long a missing `seq` is waited for: far longer than any ledger transaction lasts. */
const LOOK_BACK_MS = 15 * 60_000;
/** At start, the `seq`s missing among the last this many are waited for (their rows may still commit). */
const START_WINDOW = 10_000;

/** `seen` gets each ledger row the view reads after it was created, once. */
export async function createBalanceView(
  db: Db,
  clock: Clock,
  seen: (row: NewRow) => void = () => {},
): Promise<BalanceView> {
  const balances = new Map<string, bigint>();
  /** Missing `seq`s below `lastSeq`, with when each was first missed. */
  const missing = new Map<number, number>();
  let lastSeq = (await one(db.select({ seq: max(billingLedger.seq) }).from(billingLedger)))?.seq ?? 0;
  const present = new Set(
    (
      await all(
        db
          .select({ seq: billingLedger.seq })
          .from(billingLedger)
          .where(gt(billingLedger.seq, lastSeq - START_WINDOW)),
      )
    ).map((r) => r.seq),
  );
  for (let s = Math.max(1, lastSeq - START_WINDOW + 1); s < lastSeq; s++)
    if (!present.has(s)) missing.set(s, clock.now());

  const newer = () =>
    db
      .select({
        seq: billingLedger.seq,
        accountId: billingLedger.accountId,
        kind: billingLedger.kind,
        amount: billingLedger.amountMicros,
      })
      .from(billingLedger)
      .where(
        missing.size === 0
          ? gt(billingLedger.seq, lastSeq)
          : or(gt(billingLedger.seq, lastSeq), inArray(billingLedger.seq, [...missing.keys()])),
      )
      .orderBy(billingLedger.seq);
  const counted = (accountId: string) =>
    db
      .select({ total: exactSum })
      .from(billingLedger)
      .where(
        and(
          eq(billingLedger.accountId, accountId),
          lte(billingLedger.seq, lastSeq),
          missing.size === 0 ? undefined : notInArray(billingLedger.seq, [...missing.keys()]),
        ),
      );

  // Looks run one at a time, so a ledger row is never added twice and a first load matches what was seen.
  let last: Promise<unknown> = Promise.resolve();
  const look = async (accountId: string): Promise<LedgerBalance> => {
    const now = clock.now();
    for (const [s, since] of missing) if (now - since > LOOK_BACK_MS) missing.delete(s);
    for (const row of await all(newer())) {
      if (row.seq > lastSeq) {
        for (let s = Math.max(lastSeq + 1, row.seq - START_WINDOW); s < row.seq; s++) missing.set(s, now);
        lastSeq = row.seq;
      } else missing.delete(row.seq);
      const current = balances.get(row.accountId);
      if (current !== undefined) balances.set(row.accountId, current + BigInt(row.amount));
      seen(row);
    }
    let b = balances.get(accountId);
    if (b === undefined) {
      b = BigInt((await one(counted(accountId)))?.total ?? "0");
      balances.set(accountId, b);
    }
    return { micros: b, seq: lastSeq, missing: [...missing.keys()] };
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
