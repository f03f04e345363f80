import type { Deps } from "../deps";
import type { Principal } from "../auth/principal";
import type { Scope } from "../keys/scopes";
import { KrioraError } from "../lib/errors";

/** Authenticate and demand a scope: 401 without a valid credential, 403 without the scope. */
export async function requireScope(deps: Pick<Deps, "auth">, request: Request, scope: Scope): Promise<Principal> {
  const principal = await deps.auth.authenticate(request);
  if (!principal.scopes.has(scope)) throw new KrioraError("forbidden", `This credential lacks the ${scope} scope.`);
  return principal;
}

/** Admin routes: an admin account acting with the admin scope (Policy §9 access controls). */
export async function requireAdmin(deps: Pick<Deps, "auth">, request: Request): Promise<Principal> {
  const principal = await deps.auth.authenticate(request);
  if (principal.role !== "admin" || !principal.scopes.has("admin"))
    throw new KrioraError("forbidden", "Admin access only.");
  return principal;
}

/** Audit actor for a principal: `admin:<id>` on admin routes, `account:<id>` otherwise; never an email. */
export const actorOf = (principal: Principal, asAdmin = false) =>
  `${asAdmin ? "admin" : "account"}:${principal.accountId}`;
