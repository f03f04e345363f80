import { and, eq, gt, isNull, or } from "drizzle-orm";
import type { AuditTrail } from "../audit/audit";
import type { Db } from "../db/client";
import { abuseFlags } from "../db/schema";
import type { Clock } from "../lib/clock";
import { newId } from "../lib/ids";
import type { Logger } from "../lib/log";
import { exec, transaction, one, all } from "../db/tx";

/** Thresholds of the abuse controls (Policy §5: detect abuse, prevent fraud). */
export const ABUSE = {
  authFailures: 20,
  authWindowMs: 5 * 60_000,
  blockMs: 15 * 60_000,
  keyAddresses: 20,
  keyWindowMs: 60 * 60_000,
} as const;

type AbuseFlag = typeof abuseFlags.$inferSelect;

/**
 * Counters live in memory, keyed by an HMAC of the address — never the address in clear.
 * Decisions (a block, a flag) are written to `abuse_flags` and the audit trail so that admins can
 * list and clear them (`kriora abuse list|clear`), also from another process.
 */
export interface AbuseControls {
  /** Seconds until the address may try again, or null when it is not blocked. */
  blockedFor(address: string): Promise<number | null>;
  authFailed(address: string): Promise<void>;
  keyUsed(keyId: string, address: string): Promise<void>;
  active(): Promise<AbuseFlag[]>;
  clear(id: string, actor: string): Promise<boolean>;
}

export async function createAbuseControls(
  db: Db,
  audit: AuditTrail,
  clock: Clock,
  log: Logger,
  hashAddress: (address: string) => string,
  maxTracked = 100_000,
): Promise<AbuseControls> {
  const failures = new Map<string, { start: number; count: number }>();
  const blocks = new Map<string, { id: string; until: number }>();
  const keyAddresses = new Map<string, { start: number; seen: Set<string>; flagged: boolean }>();

  const prune = <V>(m: Map<string, V>, stale: (v: V) => boolean) => {
    if (m.size < maxTracked) return;
    for (const [k, v] of m) if (stale(v)) m.delete(k);
    if (m.size >= maxTracked) m.delete(m.keys().next().value!);
  };
  const decide = async (
    id: string,
    kind: AbuseFlag["kind"],
    subject: string,
    details: Record<string, number>,
    expiresAt: number | null,
  ) => {
    await transaction(db, async (tx) => {
      await exec(
        tx
          .insert(abuseFlags)
          .values({ id, kind, subject, details: JSON.stringify(details), createdAt: clock.now(), expiresAt }),
      );
      await audit.record({ actor: "system", action: `abuse.${kind}`, target: id, details }, tx);
    });
    log.warn("abuse_decision", { id, kind });
  };

  for (const f of await activeFlags(db, clock.now()))
    if (f.kind === "address_block" && f.expiresAt) blocks.set(f.subject, { id: f.id, until: f.expiresAt });

  return {
    async blockedFor(address) {
      if (blocks.size === 0) return null;
      const addressHash = hashAddress(address);
      const b = blocks.get(addressHash);
      if (!b) return null;
      const now = clock.now();
      const cleared = (
        await one(db.select({ clearedAt: abuseFlags.clearedAt }).from(abuseFlags).where(eq(abuseFlags.id, b.id)))
      )?.clearedAt;
      if (b.until <= now || cleared) {
        blocks.delete(addressHash);
        failures.delete(addressHash);
        return null;
      }
      return Math.ceil((b.until - now) / 1000);
    },
    async authFailed(address) {
      const addressHash = hashAddress(address);
      const now = clock.now();
      let f = failures.get(addressHash);
      if (!f || now - f.start > ABUSE.authWindowMs) {
        prune(failures, (v) => now - v.start > ABUSE.authWindowMs);
        f = { start: now, count: 0 };
        failures.set(addressHash, f);
      }
      f.count++;
      if (f.count >= ABUSE.authFailures && !blocks.has(addressHash)) {
        const until = now + ABUSE.blockMs;
        // The block holds from now on; recording it does not delay it.
        const id = newId("abuse");
        blocks.set(addressHash, { id, until });
        await decide(id, "address_block", addressHash, { failures: f.count }, until);
      }
    },
    async keyUsed(keyId, address) {
      const addressHash = hashAddress(address);
      const now = clock.now();
      let k = keyAddresses.get(keyId);
      if (!k || now - k.start > ABUSE.keyWindowMs) {
        prune(keyAddresses, (v) => now - v.start > ABUSE.keyWindowMs);
        k = { start: now, seen: new Set(), flagged: false };
        keyAddresses.set(keyId, k);
      }
      if (k.flagged || k.seen.has(addressHash)) return;
      k.seen.add(addressHash);
      if (k.seen.size > ABUSE.keyAddresses) {
        k.flagged = true;
        k.seen.clear();
        await decide(newId("abuse"), "key_many_addresses", keyId, { addresses: ABUSE.keyAddresses + 1 }, null);
      }
    },
    active: () => activeFlags(db, clock.now()),
    async clear(id, actor) {
      const row = await one(db.select().from(abuseFlags).where(eq(abuseFlags.id, id)));
      if (!row || row.clearedAt) return false;
      await transaction(db, async (tx) => {
        await exec(tx.update(abuseFlags).set({ clearedAt: clock.now() }).where(eq(abuseFlags.id, id)));
        await audit.record({ actor, action: "abuse.clear", target: id, details: { kind: row.kind } }, tx);
      });
      if (row.kind === "address_block") {
        blocks.delete(row.subject);
        failures.delete(row.subject);
      }
      return true;
    },
  };
}

async function activeFlags(db: Db, now: number): Promise<AbuseFlag[]> {
  return await all(
    db
      .select()
      .from(abuseFlags)
      .where(and(isNull(abuseFlags.clearedAt), or(isNull(abuseFlags.expiresAt), gt(abuseFlags.expiresAt, now)))),
  );
}
