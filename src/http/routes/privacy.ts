import { Elysia, t } from "elysia";
import type { Deps } from "../../deps";
import { describeAccount } from "../../accounts/accounts";
import { readSessionToken, sessionCookie } from "../../auth/sessionCookie";
import { KrioraError } from "../../lib/errors";
import { eraseAccount, RECENT_SIGN_IN_MS, signedInRecently } from "../../privacy/erasure";
import { exportAccount } from "../../privacy/export";
import { objectToProcessing } from "../../privacy/objection";
import { acceptPolicy } from "../../privacy/policy";
import { confirmEmailChange, requestEmailChange } from "../../privacy/rectify";
import { restrictAccount } from "../../privacy/restriction";
import { listRequests } from "../../privacy/rights";
import { actorOf, requireScope } from "../access";
import { AccountModel } from "../../accounts/accountModel";
import { EmailBody, TokenBody } from "./accountSchemas";
import {
  DeleteBody,
  EmailChangeModel,
  ErasureModel,
  ExportModel,
  ObjectBody,
  RightsRequestModel,
} from "./privacySchemas";

/**
 * The account holder's rights (Policy §14): access (export), correction of the address, erasure,
 * restriction and objection, acceptance of the policy in force (§7, §16), and their requests.
 * Each is recorded in the rights ledger and audited.
 */
export function privacyRoutes(deps: Deps) {
  const secure = deps.config.server.public_url.startsWith("https://");
  const rights = new Elysia({
    prefix: "/account",
    detail: { tags: ["privacy"], security: [{ session: [] }, { apiKey: [] }] },
  })
    .derive(async ({ request }) => ({ principal: await requireScope(deps, request, "account") }))
    .post("/export", ({ principal }) => exportAccount(deps, principal.accountId, actorOf(principal)), {
      response: ExportModel,
      detail: {
        summary:
          "Everything held about you, as one versioned JSON document (schema kriora.export/v1); a POST because it records a rights request",
      },
    })
    .post(
      "/email",
      ({ principal, body, set }) => {
        set.status = 202;
        return requestEmailChange(deps, principal.accountId, body.email, actorOf(principal));
      },
      {
        body: EmailBody,
        response: { 202: EmailChangeModel },
        detail: { summary: "Correct your address: a link goes to the new one, which takes effect when opened" },
      },
    )
    .post(
      "/delete",
      async ({ principal, request, set }) => {
        if (principal.via !== "session" || !(await signedInRecently(deps, readSessionToken(request))))
          throw new KrioraError(
            "forbidden",
            `Erasure needs a recent sign-in: open a new sign-in link and ask again within ${RECENT_SIGN_IN_MS / 60_000} minutes.`,
          );
        const report = await eraseAccount(deps, principal.accountId, "request", actorOf(principal));
        set.headers["set-cookie"] = sessionCookie("", 0, secure);
        return report;
      },
      {
        body: DeleteBody,
        response: ErasureModel,
        detail: {
          summary:
            "Erase your account and your data now; billing records stay under legal hold, unlinked from you (session signed in within 10 minutes)",
        },
      },
    )
    .post(
      "/restrict",
      async ({ principal }) =>
        await describeAccount(deps, await restrictAccount(deps, principal.accountId, actorOf(principal))),
      {
        response: AccountModel,
        detail: {
          summary:
            "Restrict processing (Art. 18): your keys stop, your data is kept; an admin lifts it after emailing you",
        },
      },
    )
    .post(
      "/object",
      ({ principal, body }) => objectToProcessing(deps, principal.accountId, body.scope, actorOf(principal)),
      {
        body: ObjectBody,
        response: RightsRequestModel,
        detail: {
          summary: "Object (Art. 21): usage_trends takes effect at once; abuse_detection goes to an admin for decision",
        },
      },
    )
    .post(
      "/policy/accept",
      async ({ principal }) =>
        await describeAccount(deps, await acceptPolicy(deps, principal.accountId, actorOf(principal))),
      {
        response: AccountModel,
        detail: { summary: "Accept the privacy policy version in force" },
      },
    )
    .get("/requests", ({ principal }) => listRequests(deps, { accountId: principal.accountId }), {
      response: t.Array(RightsRequestModel),
      detail: { summary: "Your rights requests, with due and completion dates" },
    });

  return new Elysia({ name: "privacy" })
    .post(
      "/account/email/verify",
      async ({ body }) => {
        const account = await confirmEmailChange(deps, body.token);
        if (!account) throw new KrioraError("unauthenticated", "The link is invalid, expired or already used.");
        return await describeAccount(deps, account);
      },
      {
        body: TokenBody,
        response: AccountModel,
        detail: {
          tags: ["privacy"],
          summary:
            "Spend the token of the link sent to a new address: the account takes it (single use, 24 hours; GET shows the console's confirm page)",
        },
      },
    )
    .use(rights);
}
