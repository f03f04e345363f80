import { createHash } from "node:crypto";
import { InsertionOrderedMap } from "../lib/insertionOrderedMap";

/**
 * Remembers successful signature checks (an Ed25519 verify costs about as much as a whole proxied
 * request), keyed by a hash of the token so no credential sits in the map, bounded in size, and
 * never past the token's own expiry. Revocation and account status are not cached: callers check
 * them on every request.
 */
interface VerifiedCache<T> {
  get(token: string, nowMs: number): T | undefined;
  set(token: string, value: T, untilMs: number): void;
}

export function createVerifiedCache<T>(maxEntries: number): VerifiedCache<T> {
  const entries = new InsertionOrderedMap<string, { value: T; until: number }>();
  const keyOf = (token: string) => createHash("sha256").update(token).digest("base64url");
  return {
    get(token, nowMs) {
      const k = keyOf(token);
      const hit = entries.get(k);
      if (!hit) return undefined;
      if (hit.until > nowMs) return hit.value;
      entries.delete(k);
      return undefined;
    },
    set(token, value, untilMs) {
      if (entries.size >= maxEntries) entries.deleteOldest();
      entries.set(keyOf(token), { value, until: untilMs });
    },
  };
}
