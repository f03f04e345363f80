import { and, asc, eq } from "drizzle-orm";
import { iso, isoOrNull } from "../lib/clock";
import type { KeyDeps } from "./keyDeps";
import type { Actor } from "../audit/audit";
import type { Scope } from "./scopes";
import { requireLiveAccount } from "../accounts/accounts";
import type { Db } from "../db/client";
import { apiKeys } from "../db/schema";
import { KrioraError } from "../lib/errors";
import { newId } from "../lib/ids";
import { MICROS_PER_USD } from "../lib/money";
import { currentSigner } from "./keyring";
import { signApiKey } from "./token";
import { one, transaction, all } from "../db/tx";

type KeyRow = typeof apiKeys.$inferSelect;

/** Per-key settings; they fill the caller's policy (limits, ZDR, regions, models) on every request. */
export interface KeySettings {
  name: string;
  scopes: Scope[];
  expiresAt: number | null;
  rpm: number | null;
  tpm: number | null;
  requireZdr: boolean;
  regions: string[] | null;
  models: string[] | null;
  /** This key's own monthly spend cap in micro-dollars; null: only the account's applies. */
  monthlyBudgetMicros: number | null;
}

export interface KeyInfo {
  id: string;
  account_id: string;
  name: string;
  scopes: string[];
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  rpm: number | null;
  tpm: number | null;
  require_zdr: boolean;
  regions: string[] | null;
  models: string[] | null;
  monthly_budget_usd: number | null;
}

export function describeKey(row: KeyRow): KeyInfo {
  return {
    id: row.id,
    account_id: row.accountId,
    name: row.name,
    scopes: row.scopes,
    created_at: iso(row.createdAt),
    expires_at: isoOrNull(row.expiresAt),
    revoked_at: isoOrNull(row.revokedAt),
    rpm: row.rpm,
    tpm: row.tpm,
    require_zdr: row.requireZdr,
    regions: row.regions,
    models: row.models,
    monthly_budget_usd: row.monthlyBudgetMicros === null ? null : row.monthlyBudgetMicros / MICROS_PER_USD,
  };
}

/**
 * Issue a key: a JWT signed by the keyring's newest key, returned once (`kr_…`) and never stored.
 * The `admin` scope is only for admin accounts.
 */
export async function issueKey(
  deps: KeyDeps,
  accountId: string,
  settings: KeySettings,
  actor: Actor,
): Promise<{ key: string; row: KeyRow }> {
  const account = await requireLiveAccount(deps.db, accountId);
  if (account.status === "suspended") throw new KrioraError("conflict", "The account is suspended.");
  if (settings.scopes.length === 0)
    throw new KrioraError("invalid_request", "A key needs at least one scope.", { param: "scopes" });
  if (settings.scopes.includes("admin") && account.role !== "admin")
    throw new KrioraError("forbidden", "Only an admin account can hold a key with the admin scope.", {
      param: "scopes",
    });
  const now = deps.clock.now();
  if (settings.expiresAt !== null && settings.expiresAt <= now)
    throw new KrioraError("invalid_request", "The expiry must be in the future.", { param: "expires" });
  const id = newId("key");
  const exp = settings.expiresAt === null ? null : Math.floor(settings.expiresAt / 1000);
  const signer = await currentSigner(deps);
  const key = await signApiKey(signer, { accountId, keyId: id, scopes: settings.scopes, exp }, now);
  const row = await transaction(deps.db, async (tx) => {
    const inserted = await one(
      tx
        .insert(apiKeys)
        .values({
          id,
          accountId,
          kid: signer.kid,
          ...settings,
          expiresAt: exp === null ? null : exp * 1000,
          createdAt: now,
        })
        .returning(),
    );
    await deps.audit.record(
      {
        actor,
        action: "key.issue",
        target: id,
        details: { account: accountId, scopes: settings.scopes.join(" "), expires: exp !== null },
      },
      tx,
    );
    return inserted;
  });
  await deps.authView.refreshKey(id);
  return { key, row };
}

export async function listKeys(deps: Pick<KeyDeps, "db">, accountId: string): Promise<KeyRow[]> {
  return await all(
    deps.db
      .select()
      .from(apiKeys)
      .where(eq(apiKeys.accountId, accountId))
      .orderBy(asc(apiKeys.createdAt), asc(apiKeys.id)),
  );
}

/** The key if it exists and, when `accountId` is given, belongs to that account; otherwise not_found (never a 403 that confirms it exists). */
export async function findKey(db: Pick<Db, "select">, keyId: string, accountId?: string): Promise<KeyRow> {
  const where =
    accountId === undefined ? eq(apiKeys.id, keyId) : and(eq(apiKeys.id, keyId), eq(apiKeys.accountId, accountId));
  const row = await one(db.select().from(apiKeys).where(where));
  if (!row) throw new KrioraError("not_found", "No such key.");
  return row;
}

/** Revoke: refused from the next request on, in this process at once and in others at their next request. */
export async function revokeKey(deps: KeyDeps, keyId: string, actor: Actor, accountId?: string): Promise<KeyRow> {
  const row = await transaction(deps.db, async (tx) => {
    const existing = await findKey(tx, keyId, accountId);
    if (existing.revokedAt !== null) throw new KrioraError("conflict", "The key is already revoked.");
    const updated = (await one(
      tx.update(apiKeys).set({ revokedAt: deps.clock.now() }).where(eq(apiKeys.id, keyId)).returning(),
    ))!;
    await deps.audit.record(
      { actor, action: "key.revoke", target: keyId, details: { account: existing.accountId } },
      tx,
    );
    return updated;
  });
  await deps.authView.refreshKey(keyId);
  return row;
}
