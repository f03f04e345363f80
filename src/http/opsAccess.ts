import type { Server } from "bun";
import type { OpsAccess } from "../config/schema";
import type { Deps } from "../deps";
import { KrioraError } from "../lib/errors";
import { requireAdmin } from "./access";
import { clientIp } from "./clientIp";

/** 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6 (`::ffff:127.0.0.1`). */
export function isLoopback(address: string | null): boolean {
  if (address === null) return false;
  const v4 = address.toLowerCase().replace(/^::ffff:/, "");
  return v4 === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

export interface GateContext {
  request: Request;
  server: Pick<Server<undefined>, "requestIP"> | null;
}

/**
 * The check in front of an operator page (`server.docs_access`, `server.metrics_access`).
 * `loopback` trusts the socket peer only, never `X-Forwarded-For`; with `trust_proxy` on, a
 * request that came through the proxy (it carries `X-Forwarded-For`) is not local either, since
 * a proxy on the same host would otherwise make every outside caller look like one.
 */
export function opsGate(deps: Pick<Deps, "auth" | "config">, mode: OpsAccess): (ctx: GateContext) => Promise<void> {
  const { trust_proxy } = deps.config.server;
  return async ({ request, server }) => {
    if (mode === "public") return;
    if (mode === "admin") {
      await requireAdmin(deps, request);
      return;
    }
    const forwarded = trust_proxy && request.headers.has("x-forwarded-for");
    if (forwarded || !isLoopback(clientIp(request, server, false))) throw new KrioraError("forbidden", "This page is only served to local callers.");
  };
}
