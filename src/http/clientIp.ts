import type { Server } from "bun";

/**
 * The caller's address: the socket peer, or — only when `server.trust_proxy` is on — the first
 * `X-Forwarded-For` entry (a client can write that header itself, so it is never believed by default).
 */
export function clientIp(request: Request, server: Pick<Server<undefined>, "requestIP"> | null | undefined, trustProxy: boolean): string | null {
  if (trustProxy) {
    const forwarded = request.headers.get("x-forwarded-for")?.split(",")[0]?.trim();
    if (forwarded) return forwarded.slice(0, 64);
  }
  return server?.requestIP(request)?.address ?? null;
}
