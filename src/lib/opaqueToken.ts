import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { newId } from "./ids";

/**
 * Opaque `id.secret` tokens (sessions, magic links): the id finds the row, and only
 * SHA-256(secret) is stored, so a copy of the database cannot be turned back into a token.
 */
interface OpaqueToken {
  id: string;
  token: string;
  secretHash: string;
}

const hashSecret = (secret: string) => createHash("sha256").update(secret).digest("hex");

/** `newOpaqueToken("ses")` → `{ id: "ses_…", token: "ses_….<secret>", secretHash }`. */
export function newOpaqueToken(prefix: string): OpaqueToken {
  const id = newId(prefix);
  const secret = randomBytes(32).toString("base64url");
  return { id, token: `${id}.${secret}`, secretHash: hashSecret(secret) };
}

export function parseOpaqueToken(token: string): { id: string; secret: string } | null {
  const match = /^([a-z]+_[0-9a-z]{20})\.([A-Za-z0-9_-]{43})$/.exec(token);
  return match ? { id: match[1]!, secret: match[2]! } : null;
}

/** Constant-time comparison of a presented secret with the stored hash. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const presented = Buffer.from(hashSecret(secret), "hex");
  const stored = Buffer.from(storedHash, "hex");
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}

/**
 * Consume a single-use token (magic link, email change): `find` looks its row up by id; when the
 * secret matches, `remove` deletes the row before the caller looks at anything else (expiry
 * included), so a token opens at most once. Run both inside the caller's transaction.
 */
export async function takeSingleUse<Row extends { id: string; secretHash: string }>(
  token: { id: string; secret: string },
  find: (id: string) => Promise<Row | undefined>,
  remove: (id: string) => Promise<unknown>,
): Promise<Row | null> {
  const row = await find(token.id);
  if (!row || !secretMatches(token.secret, row.secretHash)) return null;
  await remove(row.id);
  return row;
}
