import type { Scope } from "../keys/scopes";

/** Who is calling, after authentication. Every route decides from this alone. */
export interface Principal {
  accountId: string;
  role: "user" | "admin";
  /** The API key's id (its `jti`); null for a session cookie or an external-issuer JWT. */
  keyId: string | null;
  via: "api_key" | "session" | "external";
  /** A restricted account (Art. 18) keeps access to its own data but never has `model`. */
  scopes: ReadonlySet<Scope>;
  /** Retention and routing constraints from the key and its account (Policy §12, SPEC routing). */
  policy: {
    requireZdr: boolean;
    /** null: any region. */
    regions: readonly string[] | null;
    /** null: any model. */
    models: readonly string[] | null;
    rpm: number | null;
    tpm: number | null;
    /** The key's own monthly spend cap in micro-dollars (the account's cap applies besides). */
    monthlyBudgetMicros: number | null;
  };
}

/**
 * Turns a request's credentials (`Authorization: Bearer`, `x-api-key`, session cookie) into a
 * Principal or throws KrioraError("unauthenticated"). Implemented by the keys/accounts domain;
 * routes and the proxy only see this interface.
 */
export interface Authenticator {
  authenticate(request: Request): Promise<Principal>;
}
