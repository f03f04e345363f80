import { Elysia, t } from "elysia";
import { readFileSync } from "node:fs";
import type { Deps } from "../../deps";
import { KrioraError } from "../../lib/errors";
import { privacySettings } from "../../privacy/report";
import { consoleShell } from "./console";

const wantsHtml = (request: Request) => (request.headers.get("accept") ?? "").includes("text/html");

const PrivacySummary = t.Object({
  version: t.String(),
  material: t.Boolean({
    description: "whether this version is a material change, announced to every verified account by email (Policy §16)",
  }),
  text: t.String(),
  in_force: t.Object({
    retention: t.Object({
      ip_days: t.Integer(),
      usage_detail_days: t.Integer(),
      billing_years: t.Integer(),
      audit_years: t.Integer(),
    }),
    content_retention: t.Literal("none"),
    zdr_enforcement: t.String(),
    providers: t.Array(t.Object({ id: t.String(), zdr: t.Boolean(), region: t.String() })),
    minimum_age: t.Integer(),
    rights_response: t.String(),
  }),
  rights: t.Array(t.Object({ right: t.String(), how: t.String() }), {
    description: "Policy §14: where each right is exercised",
  }),
});

const RIGHTS = [
  { right: "access", how: "POST /account/export" },
  { right: "rectification", how: "POST /account/email (the new address confirms by link)" },
  { right: "erasure", how: "POST /account/delete (after a fresh sign-in)" },
  { right: "restriction", how: "POST /account/restrict" },
  { right: "objection", how: "POST /account/object" },
  { right: "complaint", how: "your data protection authority" },
];

/** Liveness, readiness and the public privacy summary. */
export function opsRoutes(deps: Deps) {
  const policyText = deps.config.policy.text_file ? readFileSync(deps.config.policy.text_file, "utf8") : "";
  return new Elysia({ name: "ops", detail: { tags: ["ops"] } })
    .get("/healthz", () => ({ status: "ok" }), {
      detail: { summary: "Liveness" },
      response: t.Object({ status: t.String() }),
    })
    .get(
      "/readyz",
      async () => {
        try {
          const status = await deps.handle.migrationStatus();
          if (status.pending > 0) throw new KrioraError("unavailable", "Database migrations are not current.");
          return { status: "ready", schema: status.version };
        } catch (err) {
          if (err instanceof KrioraError) throw err;
          throw new KrioraError("unavailable", "Database is not reachable.");
        }
      },
      {
        detail: { summary: "Readiness: database reachable and migrations current" },
        response: t.Object({ status: t.String(), schema: t.String() }),
      },
    )
    .get(
      "/privacy",
      ({ request }) =>
        // Browsers ask for HTML and get the console's policy page; API clients get JSON.
        wantsHtml(request)
          ? consoleShell()
          : {
              version: deps.config.policy.version,
              material: deps.config.policy.material,
              text: policyText,
              in_force: privacySettings(deps),
              rights: RIGHTS,
            },
      {
        detail: {
          summary:
            "The privacy policy in force and a machine-readable summary (JSON; a browser asking for text/html gets the console's policy page)",
        },
        response: PrivacySummary,
      },
    );
}
