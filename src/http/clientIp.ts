import type { Server } from "bun";

type Peer = Pick<Server<undefined>, "requestIP"> | null | undefined;

/** Each request's address is worked out once, however many layers ask (edge, auth, proxy). */
const known = new WeakMap<Request, { trustProxy: boolean; ip: string | null }>();

/**
 * The caller's address: the socket peer, or — only when `server.trust_proxy` is on — the first
 * `X-Forwarded-For` entry (a client can write that header itself, so it is never believed by default).
 */
export function clientIp(request: Request, server: Peer, trustProxy: boolean): string | null {
  const cached = known.get(request);
  if (cached?.trustProxy === trustProxy) return cached.ip;
  const ip = resolve(request, server, trustProxy);
  known.set(request, { trustProxy, ip });
  return ip;
}

function resolve(request: Request, server: Peer, trustProxy: boolean): string | null {
  if (trustProxy) {
    const forwarded = request.headers.get("x-forwarded-for")?.split(",")[0]?.trim();
    if (forwarded) return forwarded.slice(0, 64);
  }
  return server?.requestIP(request)?.address ?? null;
}
