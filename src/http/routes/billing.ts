import { Elysia } from "elysia";
import type { Deps } from "../../deps";
import { KrioraError } from "../../lib/errors";
import { formatUsd, parseUsd } from "../../lib/money";
import { requireScope } from "../access";
import { BillingModel, CheckoutBody, CheckoutModel } from "./billingSchemas";
import { iso } from "../../lib/clock";

/** The caller's own billing: balance, ledger, checkout links, invoices; and prepaid top-ups. */
export function billingRoutes(deps: Deps) {
  return new Elysia({
    prefix: "/account/billing",
    detail: { tags: ["billing"], security: [{ session: [] }, { apiKey: [] }] },
  })
    .resolve(async ({ request }) => ({ principal: await requireScope(deps, request, "account") }))
    .get("", ({ principal }) => deps.billing.summary(principal.accountId), {
      response: BillingModel,
      detail: { summary: "Your balance, recent ledger entries, checkout links and (metered mode) invoices" },
    })
    .post(
      "/checkout",
      async ({ principal, body, set }) => {
        const micros = parseUsd(String(body.amount_usd), { param: "amount_usd", decimals: 2 });
        // Art. 18: a restricted account keeps its data readable but starts no new processing.
        if (deps.authView.account(principal.accountId)?.status !== "active")
          throw new KrioraError("forbidden", "Only an active account can buy credits.");
        const row = await deps.billing.checkout(principal.accountId, micros);
        set.status = 201;
        return { id: row.id, url: row.url, amount_usd: formatUsd(row.amountMicros), expires_at: iso(row.expiresAt) };
      },
      {
        body: CheckoutBody,
        response: { 201: CheckoutModel },
        detail: {
          summary:
            "Buy prepaid credits: returns a Stripe Checkout link; the balance grows when Stripe confirms the payment",
        },
      },
    );
}
