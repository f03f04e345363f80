const CONSOLE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
const CONSOLE_PATHS = new Set(["/", "/auth/verify", "/account/email/verify", "/privacy"]);

function contentPolicy(path: string): string {
  if (path.startsWith("/docs"))
    return "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
  if (CONSOLE_PATHS.has(path) || path.startsWith("/console/")) return CONSOLE_CSP;
  return "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
}

/**
 * Headers on every response (Policy §9). The console's pages may load scripts and styles from
 * this origin only (no inline script, no eval); the docs page gets a CSP that still forbids third parties.
 */
export function securityHeaders(path: string, hsts: boolean): Record<string, string> {
  const headers: Record<string, string> = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    "cache-control": "no-store",
    "content-security-policy": contentPolicy(path),
  };
  if (hsts) headers["strict-transport-security"] = "max-age=63072000; includeSubDomains";
  return headers;
}

const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)(?::\d{1,5})?$/;

/**
 * Whether a Host header is a plain `name[:port]`. Bun builds `request.url` from it and the router
 * reads the path from that URL, so a Host carrying `/`, `?` or spaces could change the route or
 * make the URL unparsable. A request without one (HTTP/1.0) is left alone.
 */
export function validHostHeader(host: string | null): boolean {
  return host === null || HOST.test(host);
}
