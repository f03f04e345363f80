import type { KeyObject } from "node:crypto";
import { SignJWT, jwtVerify } from "jose";
import { SCOPES, type Scope } from "./scopes";
import { KEY_ALG, type Signer } from "./keyring";

/** What makes a string a Kriora API key: `kr_` + a compact JWS. */
export const KEY_PREFIX = "kr_";
export const KEY_TYP = "kriora-key+jwt";
export const KEY_ISSUER = "kriora";
export const KEY_AUDIENCE = "kriora-api";
/**
 * Allowed clock skew between the signer and a verifier, in seconds: enough for NTP-synced hosts,
 * short enough that an expired key stops at once for practical purposes.
 */
export const CLOCK_TOLERANCE_S = 5;

export interface KeyClaims {
  accountId: string;
  keyId: string;
  scopes: Scope[];
  /** Seconds since the epoch, as in the JWT; null: no expiry. */
  exp: number | null;
}

/** Sign the key's claims; the result is shown once and never stored. */
export async function signApiKey(signer: Signer, claims: KeyClaims, issuedAtMs: number): Promise<string> {
  const jwt = new SignJWT({ scope: claims.scopes.join(" ") })
    .setProtectedHeader({ alg: KEY_ALG, kid: signer.kid, typ: KEY_TYP })
    .setIssuer(KEY_ISSUER)
    .setAudience(KEY_AUDIENCE)
    .setSubject(claims.accountId)
    .setJti(claims.keyId)
    .setIssuedAt(Math.floor(issuedAtMs / 1000));
  if (claims.exp !== null) jwt.setExpirationTime(claims.exp);
  return KEY_PREFIX + (await jwt.sign(signer.key));
}

/**
 * Verify a key's JWS (without the prefix) with every check pinned: algorithm, `typ`, issuer,
 * audience, expiry with tolerance, and a `kid` from the keyring. Null when anything is off.
 */
export async function verifyApiKey(
  jwt: string,
  keyFor: (kid: string) => KeyObject | undefined,
  nowMs: number,
): Promise<KeyClaims | null> {
  try {
    const { payload } = await jwtVerify(
      jwt,
      (header) => {
        const key = header.kid === undefined ? undefined : keyFor(header.kid);
        if (!key) throw new Error("unknown kid");
        return key;
      },
      {
        algorithms: [KEY_ALG],
        typ: KEY_TYP,
        issuer: KEY_ISSUER,
        audience: KEY_AUDIENCE,
        clockTolerance: CLOCK_TOLERANCE_S,
        currentDate: new Date(nowMs),
        requiredClaims: ["sub", "jti", "iat", "scope"],
      },
    );
    if (typeof payload.scope !== "string" || !payload.sub || !payload.jti) return null;
    const scopes = payload.scope.split(" ").filter((s): s is Scope => (SCOPES as readonly string[]).includes(s));
    return { accountId: payload.sub, keyId: payload.jti, scopes, exp: payload.exp ?? null };
  } catch {
    return null;
  }
}
