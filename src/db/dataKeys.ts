import { eq, inArray } from "drizzle-orm";
import { dataKey, newDataKey, type DataKey, type KeyWrap } from "../crypto/dataKeys";
import { dataKeys } from "./schema";
import { all, exec, one, type Tx } from "./tx";
import { InsertionOrderedMap } from "../lib/insertionOrderedMap";

/**
 * The data keys of accounts (and of pending sign-ups), stored wrapped in `data_keys` and kept
 * unwrapped in a bounded in-memory cache: the usage writer encrypts an IP per request, and an
 * unwrap plus a query per row would cost more than the rest of the write.
 */
/**
 * A new data key, usable at once; `save` stores it (wrapped) inside the caller's transaction, and
 * says false when the owner has a key already (another instance stored one first).
 */
interface MintedKey {
  key: DataKey;
  save(tx: Tx): Promise<boolean>;
}

export interface DataKeys {
  /** A new key for `ownerId`; saved in the transaction that writes the owner's row, it commits with it. */
  mint(ownerId: string, now: number): MintedKey;
  /** The owner's key, or null when there is none (destroyed by erasure). */
  get(tx: Tx, ownerId: string): Promise<DataKey | null>;
  /**
   * Destroy the owners' keys inside the caller's transaction and drop them from this process's
   * cache. Returns how many were stored.
   */
  destroy(tx: Tx, ownerIds: readonly string[]): Promise<number>;
  /**
   * Drop an owner's unwrapped key from this process's memory. Erasure calls it; another
   * instance's erasure reaches it through the invalidation feed.
   */
  forget(ownerId: string): void;
  /** Re-wrap every key that is not under the newest master key, inside the caller's transaction. */
  rewrap(tx: Tx, now: number): Promise<{ rewrapped: number; keys: number; master_key: string }>;
}

interface CacheOptions {
  /** Unwrapped keys kept in memory (default 10,000 × ~100 bytes); the least recently used goes first. */
  max?: number;
  /**
   * How long a key is served from memory before it is read again (default 60 s): the bound on how
   * long another process (a worker, the CLI, an instance without the invalidation feed) keeps
   * using a key an erasure has destroyed.
   */
  ttlMs?: number;
  now?: () => number;
}

export function createDataKeys(
  wrap: KeyWrap,
  { max = 10_000, ttlMs = 60_000, now = () => performance.now() }: CacheOptions = {},
): DataKeys {
  const cache = new InsertionOrderedMap<string, { key: DataKey; until: number }>();
  // Bumped by every forget: a read that was in flight meanwhile (it may have read a key that is
  // now destroyed) uses what it read but does not cache it.
  let generation = 0;
  const forget = (ownerId: string) => {
    generation++;
    cache.delete(ownerId);
  };
  const remember = (ownerId: string, entry: { key: DataKey; until: number }) => {
    cache.delete(ownerId);
    if (cache.size >= max) cache.deleteOldest();
    cache.set(ownerId, entry);
  };
  return {
    mint(ownerId, now) {
      const raw = newDataKey();
      const row = { ownerId, wrapped: wrap.wrap(ownerId, raw), createdAt: now, wrappedAt: now };
      // Not cached here: the caller's transaction may still roll back.
      return {
        key: dataKey(raw),
        save: async (tx) => (await exec(tx.insert(dataKeys).values(row).onConflictDoNothing())) === 1,
      };
    },
    async get(tx, ownerId) {
      const hit = cache.get(ownerId);
      if (hit && now() < hit.until) {
        remember(ownerId, hit);
        return hit.key;
      }
      const before = generation;
      const row = await one(
        tx.select({ wrapped: dataKeys.wrapped }).from(dataKeys).where(eq(dataKeys.ownerId, ownerId)),
      );
      if (!row) return null;
      const key = dataKey(wrap.unwrap(ownerId, row.wrapped));
      if (generation === before) remember(ownerId, { key, until: now() + ttlMs });
      return key;
    },
    async destroy(tx, ownerIds) {
      for (const id of ownerIds) forget(id);
      if (ownerIds.length === 0) return 0;
      return await exec(tx.delete(dataKeys).where(inArray(dataKeys.ownerId, [...ownerIds])));
    },
    forget,
    async rewrap(tx, now) {
      const rows = await all(tx.select().from(dataKeys));
      let rewrapped = 0;
      for (const row of rows) {
        if (wrap.isCurrent(row.wrapped)) continue;
        const raw = wrap.unwrap(row.ownerId, row.wrapped);
        await exec(
          tx
            .update(dataKeys)
            .set({ wrapped: wrap.wrap(row.ownerId, raw), wrappedAt: now })
            .where(eq(dataKeys.ownerId, row.ownerId)),
        );
        rewrapped++;
      }
      return { rewrapped, keys: rows.length, master_key: wrap.newestId };
    },
  };
}
