import type { Clock } from "../lib/clock";
import { KEY_PREFIX, verifyApiKey, type KeyClaims } from "../keys/token";
import { principalFor, refused, usableAccount } from "./grant";
import type { Principal } from "./principal";
import { createVerifiedCache } from "./verifiedCache";
import type { AuthView } from "./view";

/**
 * `kr_…` keys: the signature is checked once per token (then cached until its `exp`); whether the
 * key is still live and its account may act is read from the in-memory view on every request.
 */
export function createApiKeyAuth(view: AuthView, clock: Clock): (token: string) => Promise<Principal> {
  const cache = createVerifiedCache<KeyClaims>(10_000);
  return async (token) => {
    const jwt = token.slice(KEY_PREFIX.length);
    const now = clock.now();
    let claims = cache.get(jwt, now);
    if (!claims) {
      // A key signed by a signing key made elsewhere (a rotation by the CLI) verifies on its first request.
      claims =
        (await verifyApiKey(jwt, view.verificationKey, now)) ??
        ((await view.lookAgain()) ? await verifyApiKey(jwt, view.verificationKey, now) : null) ??
        undefined;
      if (!claims) throw refused();
      cache.set(jwt, claims, claims.exp === null ? Number.POSITIVE_INFINITY : claims.exp * 1000);
    }
    // A miss looks at once: a key created elsewhere works on its first request.
    const key = view.key(claims.keyId) ?? ((await view.lookAgain()) ? view.key(claims.keyId) : undefined);
    if (!key || key.accountId !== claims.accountId) throw refused();
    return principalFor(await usableAccount(view, key.accountId), "api_key", claims.scopes, key);
  };
}
