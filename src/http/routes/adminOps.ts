import { Elysia, t } from "elysia";
import type { Deps } from "../../deps";
import { iso, isoOrNull } from "../../lib/clock";
import { KrioraError } from "../../lib/errors";
import { policyStatus } from "../../privacy/policy";
import { providerHealth } from "../../usage/health";
import { actorOf, requireAdmin } from "../access";
import { IdParams } from "./accountSchemas";

const HEALTH_WINDOW_MS = 24 * 3_600_000;
const when = t.String({ format: "date-time" });
const detailValue = t.Union([t.String(), t.Number(), t.Boolean(), t.Null()]);

const AbuseDecision = t.Object({
  id: t.String(),
  kind: t.String(),
  subject: t.String({ description: "a key id, or an HMAC of an address (never the address)" }),
  details: t.Record(t.String(), detailValue),
  created_at: when,
  expires_at: t.Nullable(when),
});

const AuditEntry = t.Object({
  seq: t.Integer(),
  at: when,
  actor: t.String(),
  action: t.String(),
  target: t.Nullable(t.String()),
  details: t.Record(t.String(), detailValue),
});

const PolicyStatusModel = t.Object({
  version: t.String(),
  material: t.Boolean(),
  minimum_age: t.Integer(),
  verified_accounts: t.Integer(),
  accepted_current: t.Integer(),
  notices: t.Object({ sent: t.Integer(), pending: t.Integer(), retrying: t.Integer() }),
});

const ProvidersModel = t.Object({
  providers: t.Array(
    t.Object({
      id: t.String(),
      kind: t.String(),
      zdr: t.Boolean(),
      region: t.String(),
      health: t.Object(
        {
          requests: t.Integer(),
          success_rate: t.Nullable(t.Number()),
          avg_latency_ms: t.Nullable(t.Integer()),
          last_error: t.Nullable(t.String()),
        },
        { description: "the last 24 hours, from usage metadata only" },
      ),
    }),
  ),
  models: t.Array(
    t.Object({
      id: t.String(),
      provider: t.String(),
      upstream: t.String(),
      fallbacks: t.Array(t.Object({ provider: t.String(), upstream: t.String() })),
    }),
  ),
});

/** The CLI's `abuse`, `audit` and `policy status` over HTTP, and a read-only view of providers and models (admin only). */
export function adminOpsRoutes(deps: Deps) {
  const { abuse } = deps;
  return new Elysia({ prefix: "/admin", detail: { tags: ["admin"], security: [{ session: [] }, { apiKey: [] }] } })
    .derive(async ({ request }) => ({ admin: actorOf(await requireAdmin(deps, request), true) }))
    .get(
      "/abuse",
      async () =>
        (await abuse.active()).map((f) => ({
          id: f.id,
          kind: f.kind,
          subject: f.subject,
          details: JSON.parse(f.details) as Record<string, string | number | boolean | null>,
          created_at: iso(f.createdAt),
          expires_at: isoOrNull(f.expiresAt),
        })),
      {
        response: t.Array(AbuseDecision),
        detail: { summary: "Active abuse decisions: blocked addresses (by HMAC) and flagged keys" },
      },
    )
    .post(
      "/abuse/:id/clear",
      async ({ admin, params }) => {
        if (!(await abuse.clear(params.id, admin)))
          throw new KrioraError("not_found", "No such active abuse decision.");
        return { id: params.id, cleared: true as const };
      },
      {
        params: IdParams,
        response: t.Object({ id: t.String(), cleared: t.Literal(true) }),
        detail: { summary: "Clear an abuse decision (audited)" },
      },
    )
    .get(
      "/audit",
      async ({ query }) =>
        (await deps.audit.tail(query.limit ?? 50)).map((r) => ({
          seq: r.seq,
          at: iso(r.at),
          actor: r.actor,
          action: r.action,
          target: r.target,
          details: JSON.parse(r.details),
        })),
      {
        query: t.Object({ limit: t.Optional(t.Integer({ minimum: 1, maximum: 1000 })) }),
        response: t.Array(AuditEntry),
        detail: { summary: "The newest audit entries (ids and actions, never an email)" },
      },
    )
    .get(
      "/audit/verify",
      async () => {
        const v = await deps.audit.verify();
        return v.ok
          ? { ok: true, entries: v.entries }
          : { ok: false, entries: v.entries, first_broken: v.firstBroken, reason: v.reason };
      },
      {
        response: t.Object({
          ok: t.Boolean(),
          entries: t.Integer(),
          first_broken: t.Optional(t.Integer()),
          reason: t.Optional(t.String()),
        }),
        detail: { summary: "Walk the audit hash chain (kriora audit verify)" },
      },
    )
    .get("/policy", () => policyStatus(deps), {
      response: PolicyStatusModel,
      detail: { summary: "The policy in force, its acceptance and its change notices" },
    })
    .get(
      "/providers",
      async () => {
        const since = deps.clock.now() - HEALTH_WINDOW_MS;
        const providers = [];
        for (const p of deps.config.providers)
          providers.push({
            id: p.id,
            kind: p.kind,
            zdr: p.zdr,
            region: p.region,
            health: await providerHealth(deps.db, p.id, since),
          });
        return {
          providers,
          models: deps.config.models.map((m) => ({
            id: m.id,
            provider: m.provider,
            upstream: m.upstream || m.id,
            fallbacks: m.fallbacks,
          })),
        };
      },
      {
        response: ProvidersModel,
        detail: {
          summary: "Configured providers and models with their recent health (read-only; no secrets, no content)",
        },
      },
    );
}
