import type { AuthDeps } from "./authDeps";
import { sessionAccount } from "../accounts/sessions";
import { KEY_PREFIX } from "../keys/token";
import { createApiKeyAuth } from "./apiKey";
import { createExternalAuth } from "./external";
import { principalFor, refused, usableAccount } from "./grant";
import type { Scope } from "../keys/scopes";
import type { Authenticator, Principal } from "./principal";
import { assertSameOrigin, readSessionToken } from "./sessionCookie";

const SESSION_SCOPES: Scope[] = ["account", "admin"];

/** The presented credential: `Authorization: Bearer …` or `x-api-key: …`. */
function bearer(request: Request): string | null {
  const auth = request.headers.get("authorization");
  if (auth) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    return match ? match[1]! : "";
  }
  return request.headers.get("x-api-key");
}

/**
 * A bearer credential is a Kriora key (`kr_…`) or a JWT from a configured identity provider;
 * otherwise the session cookie, whose state-changing requests must come from our own origin.
 * Changes made by another process (the CLI) are picked up before each decision.
 */
export function createAuthenticator(deps: AuthDeps): Authenticator {
  const apiKey = createApiKeyAuth(deps.authView, deps.clock);
  const external = createExternalAuth(deps.config.auth.issuers, deps);
  const publicOrigin = new URL(deps.config.server.public_url).origin;
  // The edge authenticates before reading a body and the route again after: once per request.
  const decided = new WeakMap<Request, Promise<Principal>>();
  const decide = async (request: Request): Promise<Principal> => {
    await deps.authView.sync();
    const token = bearer(request);
    if (token !== null) return token.startsWith(KEY_PREFIX) ? apiKey(token) : external(token);
    const session = readSessionToken(request);
    if (session === null) throw refused();
    assertSameOrigin(request, publicOrigin);
    const accountId = await sessionAccount(deps, session);
    if (!accountId) throw refused();
    return principalFor(await usableAccount(deps.authView, accountId), "session", SESSION_SCOPES);
  };
  return {
    authenticate(request) {
      let principal = decided.get(request);
      if (!principal) {
        principal = decide(request);
        decided.set(request, principal);
      }
      return principal;
    },
  };
}
