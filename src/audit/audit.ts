import { createHash } from "node:crypto";
import { asc, desc, gte } from "drizzle-orm";
import type { Db } from "../db/client";
import { auditAnchors, auditLog } from "../db/schema";
import type { Clock } from "../lib/clock";
import { one, exec, all } from "../db/tx";

/** Who did it: `admin:<account id>`, `account:<id>`, `cli`, `system`. Never an email. */
export type Actor = string;

interface AuditEntry {
  actor: Actor;
  action: string;
  target?: string | null;
  /** Non-personal facts only (ids, counts, flags). */
  details?: Record<string, string | number | boolean | null>;
}

type AuditRow = typeof auditLog.$inferSelect;

const GENESIS = "0".repeat(64);

function entryHash(prevHash: string, row: Omit<AuditRow, "hash" | "prevHash">): string {
  const canonical = JSON.stringify([row.seq, row.at, row.actor, row.action, row.target, row.details]);
  return createHash("sha256").update(prevHash).update("\n").update(canonical).digest("hex");
}

export interface AuditTrail {
  /** Append inside the caller's transaction when one is open, so the entry lands with its effect. */
  record(entry: AuditEntry, tx?: Pick<Db, "select" | "insert">): Promise<AuditRow>;
  verify(): Promise<AuditVerification>;
  tail(limit: number): Promise<AuditRow[]>;
}

type AuditVerification =
  | { ok: true; entries: number }
  | { ok: false; entries: number; firstBroken: number; reason: string };

export function createAuditTrail(db: Db, clock: Clock): AuditTrail {
  return {
    async record(entry, tx = db) {
      const last = await one(
        tx.select({ seq: auditLog.seq, hash: auditLog.hash }).from(auditLog).orderBy(desc(auditLog.seq)).limit(1),
      );
      const base = {
        seq: (last?.seq ?? 0) + 1,
        at: clock.now(),
        actor: entry.actor,
        action: entry.action,
        target: entry.target ?? null,
        details: JSON.stringify(entry.details ?? {}),
      };
      const prevHash = last?.hash ?? GENESIS;
      const row = { ...base, prevHash, hash: entryHash(prevHash, base) };
      await exec(tx.insert(auditLog).values(row));
      return row;
    },
    async verify() {
      // After a retention prune the chain starts at the newest anchor (the last pruned entry's hash).
      const anchor = await one(db.select().from(auditAnchors).orderBy(desc(auditAnchors.seq)).limit(1));
      let prev = anchor?.hash ?? GENESIS;
      let expectedSeq = (anchor?.seq ?? 0) + 1;
      let entries = 0;
      for (;;) {
        const page = await all(
          db.select().from(auditLog).where(gte(auditLog.seq, expectedSeq)).orderBy(asc(auditLog.seq)).limit(1000),
        );
        if (page.length === 0) return { ok: true, entries };
        for (const row of page) {
          entries++;
          const broken = (reason: string): AuditVerification => ({ ok: false, entries, firstBroken: row.seq, reason });
          if (row.seq !== expectedSeq) return broken(`entry ${expectedSeq} is missing`);
          if (row.prevHash !== prev) return broken("prev_hash does not match the previous entry");
          if (row.hash !== entryHash(prev, row)) return broken("hash does not match the entry's content");
          prev = row.hash;
          expectedSeq++;
        }
      }
    },
    async tail(limit) {
      return (await all(db.select().from(auditLog).orderBy(desc(auditLog.seq)).limit(limit))).reverse();
    },
  };
}
