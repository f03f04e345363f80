import { createPublicKey, type JsonWebKey, type KeyObject } from "node:crypto";
import { eq, isNull } from "drizzle-orm";
import type { InvalidationFeed } from "../coord/port";
import type { DbHandle } from "../db/client";
import { accounts, apiKeys, signingKeys, type AccountRole, type AccountStatus } from "../db/schema";
import { all, one } from "../db/tx";

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
 * What authentication consults on every request, held in memory and read synchronously: live
 * (unrevoked) keys, account status and role, and the keyring's public keys. Writers in this
 * process refresh the entries they change. With Redis each refresh is also published on the
 * invalidation feed, and every other instance refreshes that entry when it arrives (a feed that
 * (re)subscribes reloads everything, since it may have missed some): the feed carries changes
 * between instances at once. A commit by another process is also seen through the handle's
 * `dataVersion`, read at most every `SYNC_MS` (it cost ~4 µs per request when read on each), which
 * reloads everything: so a writer that publishes nothing (a CLI run without `redis.url`) still takes
 * effect within `SYNC_MS`, and after a restart too. After a miss the caller may `lookAgain` at
 * once, so what was created elsewhere is usable on its first request.
 */
export interface AuthView {
  key(id: string): KeyGrant | undefined;
  account(id: string): AccountGrant | undefined;
  verificationKey(kid: string): KeyObject | undefined;
  publicKeys(): PublicSigningKey[];
  refreshAccount(id: string): Promise<void>;
  refreshKey(id: string): Promise<void>;
  refreshSigningKeys(): Promise<void>;
  /** Reload when another connection has committed since the last look, looked at most every `SYNC_MS`. */
  sync(): Promise<void>;
  /** After a miss: reload now if another connection has committed since the last look; says whether it did. */
  lookAgain(): Promise<boolean>;
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

const settled = Promise.resolve();
const nothing = () => undefined;

export async function loadAuthView(
  handle: Pick<DbHandle, "db" | "dataVersion">,
  feed: InvalidationFeed | null = null,
): Promise<AuthView> {
  const { db } = handle;
  // Reloads build new maps and swap them in whole, so a lookup never sees a half-loaded view.
  let accountMap = new Map<string, AccountGrant>();
  let keyMap = new Map<string, KeyGrant>();
  let signing = new Map<string, PublicSigningKey>();
  // What this process refreshed while a reload was reading: applied again after the swap.
  let reloading: { accounts: Set<string>; keys: Set<string> } | null = null;

  const readSigningKeys = async () => {
    const next = new Map<string, PublicSigningKey>();
    for (const row of await all(db.select().from(signingKeys))) {
      const jwk = JSON.parse(row.publicJwk) as JsonWebKey;
      next.set(row.kid, {
        kid: row.kid,
        key: createPublicKey({ key: jwk, format: "jwk" }),
        jwk: { ...jwk, kid: row.kid, alg: row.alg, use: "sig" },
      });
    }
    return next;
  };
  const refreshAccount = async (id: string) => {
    reloading?.accounts.add(id);
    const row = await one(db.select().from(accounts).where(eq(accounts.id, id)));
    if (row && row.status !== "erased") accountMap.set(id, accountGrant(row));
    else accountMap.delete(id);
  };
  const refreshKey = async (id: string) => {
    reloading?.keys.add(id);
    const row = await one(db.select().from(apiKeys).where(eq(apiKeys.id, id)));
    if (row && row.revokedAt === null) keyMap.set(id, keyGrant(row));
    else keyMap.delete(id);
  };
  const loadAll = async () => {
    const refreshed = { accounts: new Set<string>(), keys: new Set<string>() };
    reloading = refreshed;
    try {
      const nextAccounts = new Map<string, AccountGrant>();
      const nextKeys = new Map<string, KeyGrant>();
      for (const row of await all(db.select().from(accounts)))
        if (row.status !== "erased") nextAccounts.set(row.id, accountGrant(row));
      for (const row of await all(db.select().from(apiKeys).where(isNull(apiKeys.revokedAt))))
        nextKeys.set(row.id, keyGrant(row));
      const nextSigning = await readSigningKeys();
      accountMap = nextAccounts;
      keyMap = nextKeys;
      signing = nextSigning;
    } finally {
      reloading = null;
    }
    for (const id of refreshed.accounts) await refreshAccount(id);
    for (const id of refreshed.keys) await refreshKey(id);
  };

  let looking: Promise<boolean> | null = null;
  /** Reload if another connection committed since the last look; says whether it did. */
  const look = (): Promise<boolean> => {
    looking ??= (async () => {
      try {
        const now = await handle.dataVersion();
        if (now === seen) return false;
        await loadAll();
        // Only once the reload is in: a reload that failed is tried again at the next look.
        seen = now;
        return true;
      } finally {
        looking = null;
      }
    })();
    return looking;
  };
  let seen = await handle.dataVersion();
  let nextLook = performance.now() + SYNC_MS;
  await loadAll();

  // A refresh that fails here (the database down) is caught up by the next look at dataVersion.
  const failed = nothing;
  feed?.subscribe(
    (event) => {
      const done =
        event.kind === "account"
          ? refreshAccount(event.id)
          : event.kind === "key"
            ? refreshKey(event.id)
            : event.kind === "signing_keys"
              ? readSigningKeys().then((next) => void (signing = next))
              : settled;
      void done.catch(failed);
    },
    () => void loadAll().catch(failed),
  );

  return {
    key: (id) => keyMap.get(id),
    account: (id) => accountMap.get(id),
    verificationKey: (kid) => signing.get(kid)?.key,
    publicKeys: () => [...signing.values()],
    async refreshAccount(id) {
      await refreshAccount(id);
      feed?.publish({ kind: "account", id });
    },
    async refreshKey(id) {
      await refreshKey(id);
      feed?.publish({ kind: "key", id });
    },
    async refreshSigningKeys() {
      signing = await readSigningKeys();
      feed?.publish({ kind: "signing_keys" });
    },
    sync() {
      // A request that comes while a look is reading waits for it: what it read may be a revocation.
      // With the database out of reach the view serves what it holds, and looks again in SYNC_MS.
      if (looking) return looking.then(nothing, nothing);
      const at = performance.now();
      if (at < nextLook) return settled;
      nextLook = at + SYNC_MS;
      return look().then(nothing, nothing);
    },
    lookAgain: look,
  };
}
