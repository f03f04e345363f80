import { Elysia, t } from "elysia";
import { readFileSync } from "node:fs";
import type { Deps } from "../../deps";
import { migrationStatus } from "../../db/migrate";
import { KrioraError } from "../../lib/errors";

const PrivacySummary = t.Object({
  version: t.String(),
  text: t.String(),
  in_force: t.Object({
    retention: t.Object({ ip_days: t.Integer(), usage_detail_days: t.Integer(), billing_years: t.Integer(), audit_years: t.Integer() }),
    content_retention: t.Literal("none"),
    zdr_enforcement: t.String(),
    minimum_age: t.Integer(),
  }),
});

/** Liveness, readiness and the public privacy summary. */
export function opsRoutes(deps: Deps) {
  const policyText = deps.config.policy.text_file ? readFileSync(deps.config.policy.text_file, "utf8") : "";
  return new Elysia({ name: "ops", detail: { tags: ["ops"] } })
    .get("/healthz", () => ({ status: "ok" }), { detail: { summary: "Liveness" }, response: t.Object({ status: t.String() }) })
    .get(
      "/readyz",
      () => {
        try {
          const status = migrationStatus(deps.handle.sqlite);
          if (status.pending > 0) throw new KrioraError("unavailable", "Database migrations are not current.");
          return { status: "ready", schema: status.version };
        } catch (err) {
          if (err instanceof KrioraError) throw err;
          throw new KrioraError("unavailable", "Database is not reachable.");
        }
      },
      { detail: { summary: "Readiness: database reachable and migrations current" }, response: t.Object({ status: t.String(), schema: t.String() }) },
    )
    .get(
      "/privacy",
      () => ({
        version: deps.config.policy.version,
        text: policyText,
        in_force: {
          retention: { ...deps.config.retention },
          content_retention: "none" as const,
          zdr_enforcement: "Keys or accounts that require zero data retention or a region are only routed to providers declaring it; otherwise the request is refused.",
          minimum_age: deps.config.policy.minimum_age,
        },
      }),
      { detail: { summary: "The privacy policy in force and a machine-readable summary" }, response: PrivacySummary },
    );
}
