import { Elysia } from "elysia";
import type { Deps } from "../../deps";
import { describeAccount, getAccount } from "../../accounts/accounts";
import { updateAccountSettings } from "../../accounts/status";
import { idList } from "../../keys/settings";
import { KrioraError } from "../../lib/errors";
import { actorOf, requireScope } from "../access";
import { AccountModel } from "../../accounts/accountModel";
import { AccountPatch } from "./accountSchemas";

/** The caller's own account (session cookie, IdP token or a key with the `account` scope). */
export function accountRoutes(deps: Deps) {
  return new Elysia({ prefix: "/account", detail: { tags: ["account"], security: [{ session: [] }, { apiKey: [] }] } })
    .derive(async ({ request }) => ({ principal: await requireScope(deps, request, "account") }))
    .get(
      "",
      async ({ principal }) => {
        const row = await getAccount(deps, principal.accountId);
        if (!row) throw new KrioraError("not_found", "No such account.");
        return await describeAccount(deps, row);
      },
      { response: AccountModel, detail: { summary: "Your account" } },
    )
    .patch(
      "",
      async ({ principal, body }) => {
        const regions =
          body.regions === undefined || body.regions === null ? body.regions : idList("regions", body.regions);
        return await describeAccount(
          deps,
          await updateAccountSettings(
            deps,
            principal.accountId,
            { requireZdr: body.require_zdr, regions },
            actorOf(principal),
          ),
        );
      },
      {
        body: AccountPatch,
        response: AccountModel,
        detail: {
          summary: "Change your account's retention constraints (role, status and credits are not yours to set)",
        },
      },
    );
}
