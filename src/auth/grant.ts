import { KrioraError } from "../lib/errors";
import type { Scope } from "../keys/scopes";
import type { Principal } from "./principal";
import type { AccountGrant, AuthView, KeyGrant } from "./view";

export const refused = () => new KrioraError("unauthenticated", "Missing or invalid API key or session.");

/** The account behind a credential if it may act now: active, or restricted (own data only). */
export async function usableAccount(view: AuthView, accountId: string): Promise<AccountGrant> {
  const account = view.account(accountId) ?? ((await view.lookAgain()) ? view.account(accountId) : undefined);
  if (!account || (account.status !== "active" && account.status !== "restricted")) throw refused();
  return account;
}

/**
 * Build the Principal: scopes narrowed by the account (no `admin` without the admin role, no
 * `model` while restricted) and the policy from the key and its account, the stricter of each.
 */
export function principalFor(
  account: AccountGrant,
  via: Principal["via"],
  requested: Iterable<Scope>,
  key?: KeyGrant,
): Principal {
  const scopes = new Set<Scope>();
  for (const s of requested) {
    if (s === "admin" && account.role !== "admin") continue;
    if (s === "model" && account.status === "restricted") continue;
    scopes.add(s);
  }
  return {
    accountId: account.id,
    role: account.role,
    keyId: key?.id ?? null,
    via,
    scopes,
    policy: {
      requireZdr: account.requireZdr || (key?.requireZdr ?? false),
      regions: intersect(account.regions, key?.regions ?? null),
      models: key?.models ?? null,
      rpm: key?.rpm ?? null,
      tpm: key?.tpm ?? null,
      monthlyBudgetMicros: key?.monthlyBudgetMicros ?? null,
    },
  };
}

/** null means "any"; two lists leave only what both allow (possibly nothing: routing then fails closed). */
function intersect(a: readonly string[] | null, b: readonly string[] | null): readonly string[] | null {
  if (a === null) return b;
  if (b === null) return a;
  return a.filter((x) => b.includes(x));
}
