import { and, count, desc, lt, lte, max } from "drizzle-orm";
import type { Tx } from "../db/tx";
import { auditAnchors, auditLog } from "../db/schema";
import { one, exec } from "../db/tx";

/**
 * Audit retention (`retention.audit_years`). The trail is append-only and hash-chained, so old
 * entries are not simply deleted: the last entry to go is first recorded as an anchor (its seq
 * and hash), then everything up to it is deleted — the only deletion the trigger on `audit_log`
 * allows — and `audit verify` walks the chain from the newest anchor. The newest entry always
 * stays, so the chain continues from it. Returns how many entries went.
 */
export async function pruneAudit(tx: Tx, before: number, now: number): Promise<number> {
  const newest = (await one(tx.select({ seq: max(auditLog.seq) }).from(auditLog)))?.seq ?? null;
  if (newest === null) return 0;
  const last = await one(
    tx
      .select({ seq: auditLog.seq, hash: auditLog.hash })
      .from(auditLog)
      .where(and(lt(auditLog.at, before), lt(auditLog.seq, newest)))
      .orderBy(desc(auditLog.seq))
      .limit(1),
  );
  if (!last) return 0;
  const through = lte(auditLog.seq, last.seq);
  const entries = (await one(tx.select({ n: count() }).from(auditLog).where(through)))?.n ?? 0;
  await exec(tx.insert(auditAnchors).values({ seq: last.seq, hash: last.hash, entries, prunedAt: now }));
  await exec(tx.delete(auditLog).where(through));
  return entries;
}
