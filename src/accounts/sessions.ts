import { eq, lt } from "drizzle-orm";
import type { AccountDeps } from "./accountDeps";
import { sessions } from "../db/schema";
import { DAY_MS } from "../lib/clock";
import { newOpaqueToken, parseOpaqueToken, secretMatches } from "../lib/opaqueToken";
import { exec, transaction, one, all } from "../db/tx";

export const SESSION_TTL_MS = 7 * DAY_MS;

/** Start a browser session; the token goes into the cookie, only its secret's hash into the database. */
export async function startSession(
  deps: Pick<AccountDeps, "db" | "clock">,
  accountId: string,
): Promise<{ token: string; expiresAt: number }> {
  const now = deps.clock.now();
  const { id, token, secretHash } = newOpaqueToken("ses");
  const expiresAt = now + SESSION_TTL_MS;
  await transaction(deps.db, async (tx) => {
    await exec(tx.delete(sessions).where(lt(sessions.expiresAt, now)));
    await exec(tx.insert(sessions).values({ id, accountId, secretHash, createdAt: now, expiresAt }));
  });
  return { token, expiresAt };
}

/** The row of a live session, or null (unknown, forged or expired token). */
export async function liveSession(
  deps: Pick<AccountDeps, "db" | "clock">,
  token: string,
): Promise<typeof sessions.$inferSelect | null> {
  const parsed = parseOpaqueToken(token);
  if (!parsed) return null;
  const row = await one(deps.db.select().from(sessions).where(eq(sessions.id, parsed.id)));
  if (!row || !secretMatches(parsed.secret, row.secretHash) || row.expiresAt <= deps.clock.now()) return null;
  return row;
}

/** The account of a live session, or null (unknown, forged or expired token). */
export async function sessionAccount(deps: Pick<AccountDeps, "db" | "clock">, token: string): Promise<string | null> {
  return (await liveSession(deps, token))?.accountId ?? null;
}

/** Logout: the session row goes, so the cookie is worthless even if kept. */
export async function endSession(deps: Pick<AccountDeps, "db" | "clock">, token: string): Promise<void> {
  const parsed = parseOpaqueToken(token);
  if (parsed && (await sessionAccount(deps, token)))
    await exec(deps.db.delete(sessions).where(eq(sessions.id, parsed.id)));
}

/** "Sign out everywhere": every session of the account goes (keys are untouched). Returns how many. */
export async function endAllSessions(deps: Pick<AccountDeps, "db">, accountId: string): Promise<number> {
  return (await all(deps.db.delete(sessions).where(eq(sessions.accountId, accountId)).returning({ id: sessions.id })))
    .length;
}
