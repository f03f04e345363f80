import type { Server } from "bun";
import type { OpsAccess } from "../config/schema";
import type { Deps } from "../deps";
import { KrioraError } from "../lib/errors";
import { requireAdmin } from "./access";
import { isLoopback, trustedProxies } from "./clientIp";

export interface GateContext {
  request: Request;
  server: Pick<Server<undefined>, "requestIP"> | null;
}

/**
 * The check in front of an operator page (`server.docs_access`, `server.metrics_access`).
 * `loopback` trusts the socket peer only, never `X-Forwarded-For`; with trusted proxies
 * configured, a request that came through one (it carries `X-Forwarded-For`) is not local either,
 * since a proxy on the same host would otherwise make every outside caller look like one.
 */
export function opsGate(deps: Pick<Deps, "auth" | "config">, mode: OpsAccess): (ctx: GateContext) => Promise<void> {
  const behindProxy = trustedProxies(deps.config.server).length > 0;
  return async ({ request, server }) => {
    if (mode === "public") return;
    if (mode === "admin") {
      await requireAdmin(deps, request);
      return;
    }
    const forwarded = behindProxy && request.headers.has("x-forwarded-for");
    if (forwarded || !isLoopback(server?.requestIP(request)?.address ?? null))
      throw new KrioraError("forbidden", "This page is only served to local callers.");
  };
}
