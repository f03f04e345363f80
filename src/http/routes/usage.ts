import { Elysia, t } from "elysia";
import { requireAccount } from "../../accounts/accounts";
import type { Deps } from "../../deps";
import { usageTrends } from "../../usage/query";
import { usageReport, usageReportAudited } from "../../usage/report";
import { actorOf, requireAdmin, requireScope } from "../access";

const Day = t.String({ pattern: "^\\d{4}-\\d{2}-\\d{2}$", description: "UTC day, YYYY-MM-DD (inclusive)" });
const UsageQuery = t.Object({
  from: t.Optional(Day),
  to: t.Optional(Day),
  group_by: t.Optional(t.Union([t.Literal("day"), t.Literal("model")])),
});
const Totals = {
  requests: t.Integer(),
  input_tokens: t.Integer(),
  output_tokens: t.Integer(),
  cached_input_tokens: t.Integer(),
  errors: t.Integer(),
  cost_micros: t.Integer({ description: "integer micro-dollars" }),
  cost_usd: t.String({ description: "exact decimal dollars" }),
};
const UsageReport = t.Object({
  account_id: t.String(),
  from: t.Nullable(t.String()),
  to: t.Nullable(t.String()),
  totals: t.Object(Totals),
  groups: t.Optional(t.Array(t.Object({ ...Totals, day: t.Optional(t.String()), model: t.Optional(t.String()) }))),
});
const TrendRow = t.Object({ ...Totals, day: t.String(), model: t.String() });

/** Usage from the daily aggregates: your own, an account's (admin), and trends across accounts (admin). */
export function usageRoutes(deps: Deps) {
  return new Elysia({ name: "usage", detail: { tags: ["usage"] } })
    .get(
      "/account/usage",
      async ({ request, query }) =>
        usageReport(deps.db, (await requireScope(deps, request, "account")).accountId, query),
      {
        query: UsageQuery,
        response: UsageReport,
        detail: {
          summary: "Your usage: totals, optionally grouped by day or model",
          security: [{ session: [] }, { apiKey: [] }],
        },
      },
    )
    .get(
      "/admin/accounts/:id/usage",
      async ({ request, params, query }) => {
        const admin = await requireAdmin(deps, request);
        await requireAccount(deps, params.id);
        return usageReportAudited(deps, actorOf(admin, true), params.id, query);
      },
      {
        params: t.Object({ id: t.String() }),
        query: UsageQuery,
        response: UsageReport,
        detail: { summary: "An account's usage (admin)", security: [{ apiKey: [] }] },
      },
    )
    .get(
      "/admin/usage/trends",
      async ({ request, query }) => {
        await requireAdmin(deps, request);
        return usageTrends(deps.db, { from: query.from, to: query.to });
      },
      {
        query: t.Object({ from: t.Optional(Day), to: t.Optional(Day) }),
        response: t.Array(TrendRow),
        detail: {
          summary: "Usage per day and model across accounts, leaving out accounts that objected (Policy §11)",
          security: [{ apiKey: [] }],
        },
      },
    );
}
