import { randomBytes } from "node:crypto";

const alphabet = "0123456789abcdefghjkmnpqrstvwxyz";

/** Random id with a readable prefix, e.g. `newId("acc")` → `acc_7k2m…` (100 bits of entropy). */
export function newId(prefix: string): string {
  const bytes = randomBytes(20);
  let out = "";
  for (const b of bytes) out += alphabet[b & 31];
  return `${prefix}_${out}`;
}

/** Tombstones are recognisable (the retention run retries their Stripe deletions) and random: nothing maps them back. */
export const TOMBSTONE_PREFIX = "tmb";
