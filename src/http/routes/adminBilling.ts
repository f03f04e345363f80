import { Elysia } from "elysia";
import type { Deps } from "../../deps";
import { requireAccount } from "../../accounts/accounts";
import { describeLedgerRow } from "../../billing/ledger";
import { parseUsd } from "../../lib/money";
import { TOMBSTONE_PREFIX } from "../../lib/ids";
import { actorOf, requireAdmin } from "../access";
import { IdParams } from "./accountSchemas";
import { BillingModel, CreditBody, LedgerRowModel } from "./billingSchemas";

/** `/admin/accounts/:id/billing` and `/credits`: the CLI's `credits` commands over HTTP (admin only). */
export function adminBillingRoutes(deps: Deps) {
  return new Elysia({
    prefix: "/admin/accounts/:id",
    detail: { tags: ["admin"], security: [{ session: [] }, { apiKey: [] }] },
  })
    .resolve(async ({ request, params }) => {
      const admin = actorOf(await requireAdmin(deps, request), true);
      // Billing records survive erasure (legal hold), so an erased account's billing (or its tombstone's) stays readable here.
      if (!params.id.startsWith(`${TOMBSTONE_PREFIX}_`)) await requireAccount(deps, params.id);
      return { admin, accountId: params.id };
    })
    .get(
      "/billing",
      async ({ admin, accountId }) => {
        await deps.audit.record({ actor: admin, action: "billing.read", target: accountId });
        return deps.billing.summary(accountId, 200);
      },
      { params: IdParams, response: BillingModel, detail: { summary: "An account's billing (audited read)" } },
    )
    .post(
      "/credits",
      async ({ admin, accountId, body, set }) => {
        const kind = body.kind ?? "grant";
        const amountMicros = parseUsd(body.amount_usd, { param: "amount_usd", allowNegative: kind === "adjustment" });
        const row = await deps.billing.changeCredits({ accountId, kind, amountMicros, reason: body.reason }, admin);
        set.status = 201;
        return describeLedgerRow(row);
      },
      {
        params: IdParams,
        body: CreditBody,
        response: { 201: LedgerRowModel },
        detail: { summary: "Grant or adjust an account's credits (audited)" },
      },
    );
}
