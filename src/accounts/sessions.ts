import { eq, lt } from "drizzle-orm";
import type { AccountDeps } from "./accountDeps";
import { sessions } from "../db/schema";
import { DAY_MS } from "../lib/clock";
import { newOpaqueToken, parseOpaqueToken, secretMatches } from "../lib/opaqueToken";

export const SESSION_TTL_MS = 7 * DAY_MS;

/** Start a browser session; the token goes into the cookie, only its secret's hash into the database. */
export function startSession(
  deps: Pick<AccountDeps, "db" | "clock">,
  accountId: string,
): { token: string; expiresAt: number } {
  const now = deps.clock.now();
  const { id, token, secretHash } = newOpaqueToken("ses");
  const expiresAt = now + SESSION_TTL_MS;
  deps.db.transaction((tx) => {
    tx.delete(sessions).where(lt(sessions.expiresAt, now)).run();
    tx.insert(sessions).values({ id, accountId, secretHash, createdAt: now, expiresAt }).run();
  });
  return { token, expiresAt };
}

/** The row of a live session, or null (unknown, forged or expired token). */
export function liveSession(
  deps: Pick<AccountDeps, "db" | "clock">,
  token: string,
): typeof sessions.$inferSelect | null {
  const parsed = parseOpaqueToken(token);
  if (!parsed) return null;
  const row = deps.db.select().from(sessions).where(eq(sessions.id, parsed.id)).get();
  if (!row || !secretMatches(parsed.secret, row.secretHash) || row.expiresAt <= deps.clock.now()) return null;
  return row;
}

/** The account of a live session, or null (unknown, forged or expired token). */
export function sessionAccount(deps: Pick<AccountDeps, "db" | "clock">, token: string): string | null {
  return liveSession(deps, token)?.accountId ?? null;
}

/** Logout: the session row goes, so the cookie is worthless even if kept. */
export function endSession(deps: Pick<AccountDeps, "db" | "clock">, token: string): void {
  const parsed = parseOpaqueToken(token);
  if (parsed && sessionAccount(deps, token)) deps.db.delete(sessions).where(eq(sessions.id, parsed.id)).run();
}

/** "Sign out everywhere": every session of the account goes (keys are untouched). Returns how many. */
export function endAllSessions(deps: Pick<AccountDeps, "db">, accountId: string): number {
  return deps.db.delete(sessions).where(eq(sessions.accountId, accountId)).returning({ id: sessions.id }).all().length;
}
