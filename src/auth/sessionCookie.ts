import { KrioraError } from "../lib/errors";

/** The one cookie Kriora sets (Policy §11: it authenticates a session, nothing else). */
const SESSION_COOKIE = "kriora_session";

export function readSessionToken(request: Request): string | null {
  const header = request.headers.get("cookie");
  if (!header) return null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim() || null;
  }
  return null;
}

/** `HttpOnly; SameSite=Lax`, and `Secure` whenever the public URL is https. `maxAgeS` 0 clears it. */
export function sessionCookie(token: string, maxAgeS: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${token}; Path=/; Max-Age=${maxAgeS}; HttpOnly; SameSite=Lax${secure ? "; Secure" : ""}`;
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * A state-changing request carried by a cookie must come from our own origin: `Sec-Fetch-Site`
 * when the browser sends it, else `Origin`. Without either, it is refused (cross-site forgery).
 */
export function assertSameOrigin(request: Request, publicOrigin: string): void {
  if (SAFE_METHODS.has(request.method)) return;
  const site = request.headers.get("sec-fetch-site");
  const origin = request.headers.get("origin");
  const ok = site !== null ? site === "same-origin" || site === "none" : origin !== null && origin === publicOrigin;
  if (!ok) throw new KrioraError("forbidden", "Cross-site request refused.");
}
