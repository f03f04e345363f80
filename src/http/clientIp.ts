import type { Server } from "bun";
import { inCidr, parseAddress, parseCidr, type Cidr } from "../config/cidr";
import type { Config } from "../config/schema";

type Peer = Pick<Server<undefined>, "requestIP"> | null | undefined;
type ServerConfig = Pick<Config["server"], "trusted_proxies" | "trust_proxy">;

const LOOPBACK = ["127.0.0.0/8", "::1/128"].map((c) => parseCidr(c)!);

/** 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6 (`::ffff:127.0.0.1`). */
export function isLoopback(address: string | null): boolean {
  const bytes = address === null ? null : parseAddress(address);
  return bytes !== null && LOOPBACK.some((block) => inCidr(bytes, block));
}

/** The proxies whose `X-Forwarded-For` entries are believed: `trusted_proxies`, plus loopback for the deprecated `trust_proxy`. */
const trustByConfig = new WeakMap<ServerConfig, Cidr[]>();
export function trustedProxies(server: ServerConfig): Cidr[] {
  let blocks = trustByConfig.get(server);
  if (!blocks) {
    blocks = [...server.trusted_proxies.map((c) => parseCidr(c)!), ...(server.trust_proxy ? LOOPBACK : [])];
    trustByConfig.set(server, blocks);
  }
  return blocks;
}

/** Each request's address is worked out once, however many layers ask (edge, auth, proxy). */
const known = new WeakMap<Request, { trusted: Cidr[]; ip: string | null }>();

/**
 * The caller's address. The socket peer, unless it is a trusted proxy: then `X-Forwarded-For` is
 * read from the right (each proxy appends the address it saw), skipping trusted hops, and the
 * first address that is not a trusted proxy is the client. Entries left of it were written by
 * the client and are never believed. With no trusted proxy, the header is ignored.
 */
export function clientIp(request: Request, peer: Peer, server: ServerConfig): string | null {
  const trusted = trustedProxies(server);
  const cached = known.get(request);
  if (cached?.trusted === trusted) return cached.ip;
  const ip = resolve(request, peer?.requestIP(request)?.address ?? null, trusted);
  known.set(request, { trusted, ip });
  return ip;
}

function resolve(request: Request, peer: string | null, trusted: Cidr[]): string | null {
  const isTrusted = (bytes: Uint8Array | null) => bytes !== null && trusted.some((block) => inCidr(bytes, block));
  if (peer === null || trusted.length === 0 || !isTrusted(parseAddress(peer))) return peer;
  let hop = peer;
  const entries = (request.headers.get("x-forwarded-for") ?? "").split(",").reverse();
  for (const entry of entries) {
    const bytes = parseAddress(entry.trim());
    // A trusted proxy writes addresses only: anything else ends the walk at the last real hop.
    if (bytes === null) return hop;
    hop = entry.trim();
    if (!isTrusted(bytes)) return hop;
  }
  return hop;
}
