import { Elysia, t } from "elysia";
import type { Deps } from "../../deps";
import { describeAccount } from "../../accounts/accounts";
import { ERASURE_REASONS, eraseAccount } from "../../privacy/erasure";
import { exportAccount } from "../../privacy/export";
import { objectToProcessing } from "../../privacy/objection";
import { liftRestriction, restrictAccount } from "../../privacy/restriction";
import { decideObjection, listRequests } from "../../privacy/rights";
import { actorOf, requireAdmin } from "../access";
import { AccountModel } from "../../accounts/accountModel";
import { IdParams } from "./accountSchemas";
import { ErasureModel, ExportModel, ObjectBody, RightsRequestModel } from "./privacySchemas";

/** Admin side of the rights, mirroring `kriora accounts export|delete|restrict|unrestrict|object` and `kriora privacy requests|decide`. */
export function adminPrivacyRoutes(deps: Deps) {
  return new Elysia({
    prefix: "/admin",
    detail: { tags: ["admin", "privacy"], security: [{ session: [] }, { apiKey: [] }] },
  })
    .derive(async ({ request }) => ({ admin: actorOf(await requireAdmin(deps, request), true) }))
    .post("/accounts/:id/export", ({ admin, params }) => exportAccount(deps, params.id, admin), {
      params: IdParams,
      response: ExportModel,
      detail: {
        summary: "An account's data export (an audited read, recorded as an access request; a POST for that reason)",
      },
    })
    .post(
      "/accounts/:id/delete",
      ({ admin, params, body }) => eraseAccount(deps, params.id, body.reason ?? "request", admin),
      {
        params: IdParams,
        body: t.Object({
          reason: t.Optional(
            t.UnionEnum(ERASURE_REASONS, { description: "request (default), child (Policy §15) or admin" }),
          ),
        }),
        response: ErasureModel,
        detail: { summary: "Erase an account now" },
      },
    )
    .post(
      "/accounts/:id/restrict",
      async ({ admin, params }) => await describeAccount(deps, await restrictAccount(deps, params.id, admin)),
      {
        params: IdParams,
        response: AccountModel,
        detail: { summary: "Restrict an account (Art. 18)" },
      },
    )
    .post(
      "/accounts/:id/unrestrict",
      async ({ admin, params }) => await describeAccount(deps, await liftRestriction(deps, params.id, admin)),
      {
        params: IdParams,
        response: AccountModel,
        detail: {
          summary: "Lift a restriction: the person is emailed first; 503 and no change if the mail cannot be sent",
        },
      },
    )
    .post("/accounts/:id/object", ({ admin, params, body }) => objectToProcessing(deps, params.id, body.scope, admin), {
      params: IdParams,
      body: ObjectBody,
      response: RightsRequestModel,
      detail: { summary: "Record an objection received for an account (Art. 21)" },
    })
    .get("/privacy/requests", ({ query }) => listRequests(deps, { overdue: query.overdue === true }), {
      query: t.Object({
        overdue: t.Optional(t.Boolean({ description: "true: only open requests past their due date" })),
      }),
      response: t.Array(RightsRequestModel),
      detail: { summary: "The rights ledger; overdue=true keeps open requests past their due date" },
    })
    .post(
      "/privacy/requests/:id/decide",
      ({ admin, params, body }) => decideObjection(deps, params.id, body.outcome, admin),
      {
        params: IdParams,
        body: t.Object({ outcome: t.UnionEnum(["upheld", "dismissed"]) }),
        response: RightsRequestModel,
        detail: { summary: "Decide an objection to abuse detection" },
      },
    );
}
