import { and, eq, gt, isNull, or } from "drizzle-orm";
import type { AuditTrail } from "../audit/audit";
import type { Coordination } from "../coord/port";
import type { Db } from "../db/client";
import { abuseFlags } from "../db/schema";
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
  blockedFor(address: string): number | null;
  /** Resolves once counted (and decided); never rejects: a count that cannot be made is logged. */
  authFailed(address: string): Promise<void>;
  keyUsed(keyId: string, address: string): Promise<void>;
  active(): AbuseFlag[];
  clear(id: string, actor: string): boolean;
}

export function createAbuseControls(
  db: Db,
  audit: AuditTrail,
  clock: Clock,
  log: Logger,
  hashAddress: (address: string) => string,
  coord: Pick<Coordination, "windows" | "feed">,
): AbuseControls {
  const blocks = new Map<string, { id: string; until: number }>();
  const failed = (err: unknown) => log.error("abuse_count_failed", { kind: errorKind(err) });

  const decide = (
    kind: AbuseFlag["kind"],
    subject: string,
    details: Record<string, number>,
    expiresAt: number | null,
  ) => {
    const id = newId("abuse");
    db.transaction((tx) => {
      tx.insert(abuseFlags)
        .values({ id, kind, subject, details: JSON.stringify(details), createdAt: clock.now(), expiresAt })
        .run();
      audit.record({ actor: "system", action: `abuse.${kind}`, target: id, details }, tx);
    });
    log.warn("abuse_decision", { id, kind });
    return id;
  };
  const loadBlocks = () => {
    blocks.clear();
    for (const f of activeFlags(db, clock.now()))
      if (f.kind === "address_block" && f.expiresAt) blocks.set(f.subject, { id: f.id, until: f.expiresAt });
  };

  loadBlocks();
  coord.feed.subscribe((event) => {
    if (event.kind === "block") blocks.set(event.subject, { id: event.id, until: event.until });
    if (event.kind === "unblock") blocks.delete(event.subject);
  }, loadBlocks);

  return {
    blockedFor(address) {
      if (blocks.size === 0) return null;
      const addressHash = hashAddress(address);
      const b = blocks.get(addressHash);
      if (!b) return null;
      const now = clock.now();
      const cleared = db
        .select({ clearedAt: abuseFlags.clearedAt })
        .from(abuseFlags)
        .where(eq(abuseFlags.id, b.id))
        .get()?.clearedAt;
      if (b.until <= now || cleared) {
        blocks.delete(addressHash);
        void coord.windows.reset(`auth:${addressHash}`).catch(failed);
        return null;
      }
      return Math.ceil((b.until - now) / 1000);
    },
    authFailed(address) {
      const addressHash = hashAddress(address);
      return coord.windows
        .hit(`auth:${addressHash}`, ABUSE.authWindowMs)
        .then(({ count }) => {
          if (count !== ABUSE.authFailures) return;
          const until = clock.now() + ABUSE.blockMs;
          const id = decide("address_block", addressHash, { failures: count }, until);
          blocks.set(addressHash, { id, until });
          coord.feed.publish({ kind: "block", subject: addressHash, id, until });
        })
        .catch(failed);
    },
    keyUsed(keyId, address) {
      return coord.windows
        .addDistinct(`key:${keyId}`, hashAddress(address), ABUSE.keyWindowMs)
        .then((seen) => {
          if (seen === ABUSE.keyAddresses + 1)
            decide("key_many_addresses", keyId, { addresses: ABUSE.keyAddresses + 1 }, null);
        })
        .catch(failed);
    },
    active: () => activeFlags(db, clock.now()),
    clear(id, actor) {
      const row = db.select().from(abuseFlags).where(eq(abuseFlags.id, id)).get();
      if (!row || row.clearedAt) return false;
      db.transaction((tx) => {
        tx.update(abuseFlags).set({ clearedAt: clock.now() }).where(eq(abuseFlags.id, id)).run();
        audit.record({ actor, action: "abuse.clear", target: id, details: { kind: row.kind } }, tx);
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

function activeFlags(db: Db, now: number): AbuseFlag[] {
  return db
    .select()
    .from(abuseFlags)
    .where(and(isNull(abuseFlags.clearedAt), or(isNull(abuseFlags.expiresAt), gt(abuseFlags.expiresAt, now))))
    .all();
}
