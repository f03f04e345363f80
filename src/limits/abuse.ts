import { and, eq, gt, isNull, or } from "drizzle-orm";
import type { AuditTrail } from "../audit/audit";
import type { Coordination } from "../coord/port";
import type { Db } from "../db/client";
import { abuseFlags } from "../db/schema";
import { all, exec, one, transaction } from "../db/tx";
import type { Clock } from "../lib/clock";
import { newId } from "../lib/ids";
import { errorKind, type Logger } from "../lib/log";

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
 * Counters live in the coordination port's windows (this process, or Redis shared by every
 * instance), keyed by an HMAC of the address — never the address in clear. A threshold is crossed
 * on exactly one count, so one instance decides: it writes the decision (a block, a flag) to
 * `abuse_flags` and the audit trail so that admins can list and clear them (`kriora abuse
 * list|clear`), and tells the other instances through the invalidation feed. Blocks are checked
 * in memory on every request.
 */
export interface AbuseControls {
  /** Seconds until the address may try again, or null when it is not blocked. */
  blockedFor(address: string): Promise<number | null>;
  /** Resolves once counted (and decided); never rejects: a count that cannot be made is logged. */
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
  coord: Pick<Coordination, "windows" | "feed">,
): Promise<AbuseControls> {
  const blocks = new Map<string, { id: string; until: number }>();
  const failed = (err: unknown) => log.error("abuse_count_failed", { kind: errorKind(err) });

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
  const loadBlocks = async () => {
    const active = await activeFlags(db, clock.now());
    blocks.clear();
    for (const f of active)
      if (f.kind === "address_block" && f.expiresAt) blocks.set(f.subject, { id: f.id, until: f.expiresAt });
  };

  await loadBlocks();
  coord.feed.subscribe(
    (event) => {
      if (event.kind === "block") blocks.set(event.subject, { id: event.id, until: event.until });
      if (event.kind === "unblock") blocks.delete(event.subject);
    },
    () => void loadBlocks().catch(failed),
  );

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
        void coord.windows.reset(`auth:${addressHash}`).catch(failed);
        return null;
      }
      return Math.ceil((b.until - now) / 1000);
    },
    async authFailed(address) {
      const addressHash = hashAddress(address);
      try {
        const { count } = await coord.windows.hit(`auth:${addressHash}`, ABUSE.authWindowMs);
        if (count !== ABUSE.authFailures) return;
        const until = clock.now() + ABUSE.blockMs;
        // The block holds from now on, here and (told at once) on the other instances; recording it does not delay it.
        const id = newId("abuse");
        blocks.set(addressHash, { id, until });
        coord.feed.publish({ kind: "block", subject: addressHash, id, until });
        await decide(id, "address_block", addressHash, { failures: count }, until);
      } catch (err) {
        failed(err);
      }
    },
    async keyUsed(keyId, address) {
      try {
        const seen = await coord.windows.addDistinct(`key:${keyId}`, hashAddress(address), ABUSE.keyWindowMs);
        if (seen === ABUSE.keyAddresses + 1)
          await decide(newId("abuse"), "key_many_addresses", keyId, { addresses: ABUSE.keyAddresses + 1 }, null);
      } catch (err) {
        failed(err);
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
        void coord.windows.reset(`auth:${row.subject}`).catch(failed);
        coord.feed.publish({ kind: "unblock", subject: row.subject });
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
