import { createPublicKey, type JsonWebKey, type KeyObject } from "node:crypto";
import { eq, isNull } from "drizzle-orm";
import type { DbHandle } from "../db/client";
import { accounts, apiKeys, signingKeys, type AccountRole, type AccountStatus } from "../db/schema";

export interface AccountGrant {
  id: string;
  status: AccountStatus;
  role: AccountRole;
  requireZdr: boolean;
  regions: readonly string[] | null;
}

export interface KeyGrant {
  id: string;
  accountId: string;
  rpm: number | null;
  tpm: number | null;
  requireZdr: boolean;
  regions: readonly string[] | null;
  models: readonly string[] | null;
  monthlyBudgetMicros: number | null;
}

interface PublicSigningKey {
  kid: string;
  key: KeyObject;
  jwk: JsonWebKey & { kid: string; alg: string; use: "sig" };
}

/**
 * What authentication consults on every request, held in memory: live (unrevoked) keys, account
 * status and role, and the keyring's public keys. Writers in this process refresh the entries they
 * change; a commit by another process (the CLI) is seen through `PRAGMA data_version` and reloads
 * everything, so a revocation takes effect on the next request, and after a restart too.
 */
export interface AuthView {
  key(id: string): KeyGrant | undefined;
  account(id: string): AccountGrant | undefined;
  verificationKey(kid: string): KeyObject | undefined;
  publicKeys(): PublicSigningKey[];
  refreshAccount(id: string): void;
  refreshKey(id: string): void;
  refreshSigningKeys(): void;
  /** Reload when another connection has committed since the last look (a cheap pragma read). */
  sync(): void;
}

type AccountRow = typeof accounts.$inferSelect;
type KeyRow = typeof apiKeys.$inferSelect;

const accountGrant = (r: AccountRow): AccountGrant => ({ id: r.id, status: r.status, role: r.role, requireZdr: r.requireZdr, regions: r.regions });
const keyGrant = (r: KeyRow): KeyGrant => ({
  id: r.id,
  accountId: r.accountId,
  rpm: r.rpm,
  tpm: r.tpm,
  requireZdr: r.requireZdr,
  regions: r.regions,
  models: r.models,
  monthlyBudgetMicros: r.monthlyBudgetMicros,
});

export function loadAuthView(handle: Pick<DbHandle, "db" | "sqlite">): AuthView {
  const { db } = handle;
  const accountMap = new Map<string, AccountGrant>();
  const keyMap = new Map<string, KeyGrant>();
  const signing = new Map<string, PublicSigningKey>();
  const dataVersion = handle.sqlite.query<{ data_version: number }, []>("PRAGMA data_version");
  const version = () => dataVersion.get()?.data_version ?? 0;

  const loadSigningKeys = () => {
    signing.clear();
    for (const row of db.select().from(signingKeys).all()) {
      const jwk = JSON.parse(row.publicJwk) as JsonWebKey;
      signing.set(row.kid, { kid: row.kid, key: createPublicKey({ key: jwk, format: "jwk" }), jwk: { ...jwk, kid: row.kid, alg: row.alg, use: "sig" } });
    }
  };
  const loadAll = () => {
    accountMap.clear();
    keyMap.clear();
    for (const row of db.select().from(accounts).all()) if (row.status !== "erased") accountMap.set(row.id, accountGrant(row));
    for (const row of db.select().from(apiKeys).where(isNull(apiKeys.revokedAt)).all()) keyMap.set(row.id, keyGrant(row));
    loadSigningKeys();
  };

  let seen = version();
  loadAll();

  return {
    key: (id) => keyMap.get(id),
    account: (id) => accountMap.get(id),
    verificationKey: (kid) => signing.get(kid)?.key,
    publicKeys: () => [...signing.values()],
    refreshAccount(id) {
      const row = db.select().from(accounts).where(eq(accounts.id, id)).get();
      if (row && row.status !== "erased") accountMap.set(id, accountGrant(row));
      else accountMap.delete(id);
    },
    refreshKey(id) {
      const row = db.select().from(apiKeys).where(eq(apiKeys.id, id)).get();
      if (row && row.revokedAt === null) keyMap.set(id, keyGrant(row));
      else keyMap.delete(id);
    },
    refreshSigningKeys: loadSigningKeys,
    sync() {
      const now = version();
      if (now === seen) return;
      seen = now;
      loadAll();
    },
  };
}
