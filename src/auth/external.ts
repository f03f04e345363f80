import { createRemoteJWKSet, decodeJwt, jwtVerify, type JWTPayload } from "jose";
import type { AuthDeps } from "./authDeps";
import type { IssuerConfig } from "../config/schema";
import { findAccountByEmail } from "../accounts/accounts";
import { normaliseEmail } from "../accounts/email";
import { CLOCK_TOLERANCE_S } from "../keys/token";
import { principalFor, refused, usableAccount } from "./grant";
import type { Scope } from "../keys/scopes";
import type { Principal } from "./principal";
import { createVerifiedCache } from "./verifiedCache";

/** Signature algorithms an identity provider may use: asymmetric only, so no shared-secret or `none` tricks. */
const ASYMMETRIC = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
  "Ed25519",
];
const EXTERNAL_SCOPES: Scope[] = ["model", "account", "admin"];
/** An email change must reach cached mappings soon even when the IdP's token lives long. */
const MAX_CACHE_MS = 5 * 60_000;

/**
 * A JWT from a configured identity provider (`[[auth.issuers]]`) stands for the account with that
 * verified email (Policy §2: no passwords held). Keys come from the issuer's JWKS through jose's
 * remote key set, which caches them and rate-limits refetches.
 */
export function createExternalAuth(
  issuers: readonly IssuerConfig[],
  deps: Pick<AuthDeps, "db" | "cipher" | "authView" | "clock">,
): (jwt: string) => Promise<Principal> {
  const byIssuer = new Map(
    issuers.map((config) => [config.issuer, { config, keys: createRemoteJWKSet(new URL(config.jwks_uri)) }]),
  );
  const cache = createVerifiedCache<string>(10_000);
  return async (jwt) => {
    const now = deps.clock.now();
    let accountId = cache.get(jwt, now);
    if (!accountId) {
      const issuer = byIssuer.get(unverifiedIssuer(jwt) ?? "");
      if (!issuer) throw refused();
      const payload = await jwtVerify(jwt, issuer.keys, {
        issuer: issuer.config.issuer,
        audience: issuer.config.audience,
        algorithms: ASYMMETRIC,
        clockTolerance: CLOCK_TOLERANCE_S,
        currentDate: new Date(now),
        requiredClaims: ["exp"],
      }).then(
        (r) => r.payload,
        () => null,
      );
      const email = payload ? verifiedEmail(payload, issuer.config.email_claim) : null;
      const account = email ? await findAccountByEmail(deps, email) : undefined;
      if (!account) throw refused();
      accountId = account.id;
      cache.set(jwt, accountId, Math.min(payload!.exp! * 1000, now + MAX_CACHE_MS));
    }
    return principalFor(await usableAccount(deps.authView, accountId), "external", EXTERNAL_SCOPES);
  };
}

function unverifiedIssuer(jwt: string): string | undefined {
  try {
    return decodeJwt(jwt).iss;
  } catch {
    return undefined;
  }
}

/** The email claim, unless the provider says it is unverified. */
function verifiedEmail(payload: JWTPayload, claim: string): string | null {
  const value = payload[claim];
  if (typeof value !== "string" || payload.email_verified === false || payload.email_verified === "false") return null;
  return normaliseEmail(value);
}
