import { sqliteTable, text } from "drizzle-orm/sqlite-core";
import { integer } from "./columns";

/**
 * Per-owner data keys (crypto-shredding, Policy §8): the random key that encrypts one account's
 * personal fields (email, client IPs, a pending address change), stored only wrapped by a master
 * key. The owner is an account id, or a pending sign-up link's id (its address belongs to no
 * account yet). Erasure deletes the row first; without it the owner's ciphertexts — in this file,
 * a WAL, a dead tuple or a backup taken earlier — no longer decrypt with the current keys.
 */
export const dataKeys = sqliteTable("data_keys", {
  ownerId: text("owner_id").primaryKey(),
  /** `w1.<masterKeyId>.<…>`: AES-256-GCM under a key derived from that master key, bound to the owner id. */
  wrapped: text("wrapped").notNull(),
  createdAt: integer("created_at").notNull(),
  /** When it was last wrapped (created, or re-wrapped by `kriora datakeys rotate`). */
  wrappedAt: integer("wrapped_at").notNull(),
});
