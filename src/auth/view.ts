import { createPublicKey, type JsonWebKey, type KeyObject } from "node:crypto";
import { eq, isNull } from "drizzle-orm";
import type { InvalidationFeed } from "../coord/port";
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
 * change. With Redis, each refresh is also published on the invalidation feed and every other
 * instance refreshes that entry when it arrives (a feed that reconnects reloads everything): the
 * feed is what carries changes between instances, whatever the database. On SQLite a commit by
 * another process is also seen through `PRAGMA data_version`, read at most every `SYNC_MS` (it cost
 * ~4 µs per request when read on each), which reloads everything: so a writer that publishes
 * nothing (a CLI run without `redis.url`) still takes effect within `SYNC_MS`, and after a restart
 * too. A lookup that misses looks at once, so what was created elsewhere is usable on its first
 * request.
 */
export interface AuthView {
  key(id: string): KeyGrant | undefined;
  account(id: string): AccountGrant | undefined;
  verificationKey(kid: string): KeyObject | undefined;
  publicKeys(): PublicSigningKey[];
  refreshAccount(id: string): void;
  refreshKey(id: string): void;
  refreshSigningKeys(): void;
  /** Reload when another connection has committed since the last look, looked at most every `SYNC_MS`. */
  sync(): void;
}

/** How stale the view may be about another process's commits (issue 15: "refused within 1 s"). */
export const SYNC_MS = 100;

type AccountRow = typeof accounts.$inferSelect;
type KeyRow = typeof apiKeys.$inferSelect;

const accountGrant = (r: AccountRow): AccountGrant => ({
  id: r.id,
  status: r.status,
  role: r.role,
  requireZdr: r.requireZdr,
  regions: r.regions,
});
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

export function loadAuthView(handle: Pick<DbHandle, "db" | "sqlite">, feed: InvalidationFeed | null = null): AuthView {
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
      signing.set(row.kid, {
        kid: row.kid,
        key: createPublicKey({ key: jwk, format: "jwk" }),
        jwk: { ...jwk, kid: row.kid, alg: row.alg, use: "sig" },
      });
    }
  };
  const loadAll = () => {
    accountMap.clear();
    keyMap.clear();
    for (const row of db.select().from(accounts).all())
      if (row.status !== "erased") accountMap.set(row.id, accountGrant(row));
    for (const row of db.select().from(apiKeys).where(isNull(apiKeys.revokedAt)).all())
      keyMap.set(row.id, keyGrant(row));
    loadSigningKeys();
  };

  /** Reload if another connection committed since the last look; says whether it did. */
  const look = () => {
    const now = version();
    if (now === seen) return false;
    seen = now;
    loadAll();
    return true;
  };
  let seen = version();
  let nextLook = performance.now() + SYNC_MS;
  loadAll();

  const refreshAccount = (id: string) => {
    const row = db.select().from(accounts).where(eq(accounts.id, id)).get();
    if (row && row.status !== "erased") accountMap.set(id, accountGrant(row));
    else accountMap.delete(id);
  };
  const refreshKey = (id: string) => {
    const row = db.select().from(apiKeys).where(eq(apiKeys.id, id)).get();
    if (row && row.revokedAt === null) keyMap.set(id, keyGrant(row));
    else keyMap.delete(id);
  };
  // With a feed, a miss reads that one row: no full reload, and no need of data_version.
  const miss = feed
    ? <T>(map: Map<string, T>, id: string, refresh: (id: string) => void) => (refresh(id), map.get(id))
    : <T>(map: Map<string, T>, id: string) => (look() ? map.get(id) : undefined);
  // An unknown kid costs no signature check, so anyone can send one: reload at most every SYNC_MS.
  let nextSigningLoad = 0;
  const signingMiss = () => {
    if (!feed) return look();
    const at = performance.now();
    if (at < nextSigningLoad) return false;
    nextSigningLoad = at + SYNC_MS;
    loadSigningKeys();
    return true;
  };
  feed?.subscribe((event) => {
    if (event.kind === "account") refreshAccount(event.id);
    else if (event.kind === "key") refreshKey(event.id);
    else if (event.kind === "signing_keys") loadSigningKeys();
  }, loadAll);

  return {
    key: (id) => keyMap.get(id) ?? miss(keyMap, id, refreshKey),
    account: (id) => accountMap.get(id) ?? miss(accountMap, id, refreshAccount),
    verificationKey: (kid) => (signing.get(kid) ?? (signingMiss() ? signing.get(kid) : undefined))?.key,
    publicKeys: () => [...signing.values()],
    refreshAccount(id) {
      refreshAccount(id);
      feed?.publish({ kind: "account", id });
    },
    refreshKey(id) {
      refreshKey(id);
      feed?.publish({ kind: "key", id });
    },
    refreshSigningKeys() {
      loadSigningKeys();
      feed?.publish({ kind: "signing_keys" });
    },
    sync() {
      const at = performance.now();
      if (at < nextLook) return;
      nextLook = at + SYNC_MS;
      look();
    },
  };
}
