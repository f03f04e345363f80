import { Elysia } from "elysia";
import type { Deps } from "../../deps";

/** Prometheus text (0.0.4). Labels are model, provider and status only: no account, key or address. */
export function metricsRoutes(deps: Deps) {
  return new Elysia({ name: "metrics" }).get(
    "/metrics",
    () => new Response(deps.metering.metrics.registry.render(), { headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" } }),
    { detail: { tags: ["ops"], summary: "Prometheus metrics" } },
  );
}
