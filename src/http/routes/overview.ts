import { Elysia, t } from "elysia";
import type { Deps } from "../../deps";
import { formatUsd, MICROS_PER_USD } from "../../lib/money";
import { accountUsage } from "../../usage/query";
import { requireScope } from "../access";
import { iso } from "../../lib/clock";

const orNone = (n: number) => (n === 0 ? null : n);
const usd = t.String({ description: "exact decimal dollars" });

const OverviewModel = t.Object({
  public_url: t.String({ description: "server.public_url: the base of this server's API (…/v1 for OpenAI clients)" }),
  billing_mode: t.UnionEnum(["off", "prepaid", "metered"]),
  balance_usd: t.Nullable(usd, { description: "prepaid balance; null when billing is off" }),
  month_to_date: t.Object(
    { requests: t.Integer(), input_tokens: t.Integer(), output_tokens: t.Integer(), cost_usd: usd },
    { description: "this calendar month (UTC)" },
  ),
  limits: t.Object(
    {
      rpm: t.Nullable(t.Integer()),
      tpm: t.Nullable(t.Integer()),
      concurrency: t.Nullable(t.Integer()),
      monthly_budget_usd: t.Nullable(usd),
    },
    { description: "the account limits in force ([limits]); null means no limit" },
  ),
  policy_in_force: t.String({ description: "policy.version; compare with the account's policy_version" }),
});

/** What the console's overview shows: spend this month, balance, the limits in force, the policy version. */
export function overviewRoutes(deps: Deps) {
  const { limits, server, policy } = deps.config;
  return new Elysia({ name: "overview" }).get(
    "/account/overview",
    async ({ request }) => {
      const { accountId } = await requireScope(deps, request, "account");
      const month = iso(deps.clock.now()).slice(0, 7);
      const spent = await accountUsage(deps.db, accountId, { from: `${month}-01` });
      return {
        public_url: server.public_url,
        billing_mode: deps.billing.mode,
        balance_usd: deps.billing.mode === "off" ? null : formatUsd(await deps.billing.balance(accountId)),
        month_to_date: {
          requests: spent.requests,
          input_tokens: spent.input_tokens,
          output_tokens: spent.output_tokens,
          cost_usd: spent.cost_usd,
        },
        limits: {
          rpm: orNone(limits.rpm),
          tpm: orNone(limits.tpm),
          concurrency: orNone(limits.concurrency),
          monthly_budget_usd:
            limits.monthly_budget_usd === 0 ? null : formatUsd(Math.round(limits.monthly_budget_usd * MICROS_PER_USD)),
        },
        policy_in_force: policy.version,
      };
    },
    {
      response: OverviewModel,
      detail: {
        tags: ["account"],
        summary: "Your month so far, balance and the limits in force (the console's overview)",
        security: [{ session: [] }, { apiKey: [] }],
      },
    },
  );
}
