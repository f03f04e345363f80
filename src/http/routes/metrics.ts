import { Elysia } from "elysia";
import type { Deps } from "../../deps";
import { opsGate } from "../opsAccess";

/**
 * Prometheus text (0.0.4). Labels are model, provider and status only: no account, key or address.
 * Who may read it is `server.metrics_access` (local callers only by default).
 */
export function metricsRoutes(deps: Deps) {
  return new Elysia({ name: "metrics" }).get(
    "/metrics",
    () =>
      new Response(deps.metrics.registry.render(), {
        headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
      }),
    {
      beforeHandle: opsGate(deps, deps.config.server.metrics_access),
      detail: { tags: ["ops"], summary: "Prometheus metrics (server.metrics_access: public, admin or loopback)" },
    },
  );
}
