import { Elysia, t } from "elysia";
import type { Deps } from "../../deps";
import { createAccount, describeAccount, requireAccount, requireEmail } from "../../accounts/accounts";
import { correctEmail } from "../../privacy/rectify";
import { listAccountsAudited, showAccount } from "../../accounts/admin";
import { suspendAccount, unsuspendAccount } from "../../accounts/status";
import { describeKey, issueKey, listKeys, revokeKey } from "../../keys/apiKeys";
import { rotateKeyring } from "../../keys/keyring";
import { keySettings } from "../../keys/settings";
import { actorOf, requireAdmin } from "../access";
import { AccountModel } from "../../accounts/accountModel";
import { EmailBody, IdParams, IssuedKeyModel, KeyCreate, KeyModel, keyInput } from "./accountSchemas";

/** Path ids are account ids only: an address in a URL would end up in proxies' access logs. */
const accountId = async (deps: Deps, id: string): Promise<string> => (await requireAccount(deps, id)).id;

/** `/admin/…` mirrors the CLI's accounts, keys and keyring commands; every call needs an admin (403 otherwise). */
export function adminRoutes(deps: Deps) {
  return new Elysia({ prefix: "/admin", detail: { tags: ["admin"], security: [{ session: [] }, { apiKey: [] }] } })
    .derive(async ({ request }) => ({ admin: actorOf(await requireAdmin(deps, request), true) }))
    .get("/accounts", ({ admin }) => listAccountsAudited(deps, admin), {
      response: t.Array(AccountModel),
      detail: { summary: "All accounts (audited read)" },
    })
    .post(
      "/accounts",
      async ({ admin, body, set }) => {
        set.status = 201;
        return await describeAccount(
          deps,
          await createAccount(deps, { email: body.email, role: body.admin ? "admin" : "user" }, admin),
        );
      },
      {
        body: t.Object({ email: t.String({ maxLength: 320 }), admin: t.Optional(t.Boolean()) }),
        response: { 201: AccountModel },
        detail: { summary: "Create an account" },
      },
    )
    .post("/accounts/lookup", ({ admin, body }) => showAccount(deps, requireEmail(body.email), admin), {
      body: EmailBody,
      response: AccountModel,
      detail: { summary: "Find an account by email (audited read; the address travels in the body, not the URL)" },
    })
    .get("/accounts/:id", async ({ admin, params }) => showAccount(deps, await accountId(deps, params.id), admin), {
      params: IdParams,
      response: AccountModel,
      detail: { summary: "One account (audited read)" },
    })
    .put(
      "/accounts/:id/email",
      async ({ admin, params, body }) =>
        await describeAccount(deps, await correctEmail(deps, await accountId(deps, params.id), body.email, admin)),
      {
        params: IdParams,
        body: EmailBody,
        response: AccountModel,
        detail: { summary: "Correct an account's email" },
      },
    )
    .post(
      "/accounts/:id/suspend",
      async ({ admin, params }) =>
        await describeAccount(deps, await suspendAccount(deps, await accountId(deps, params.id), admin)),
      {
        params: IdParams,
        response: AccountModel,
        detail: { summary: "Suspend an account: all its credentials stop working at once" },
      },
    )
    .post(
      "/accounts/:id/unsuspend",
      async ({ admin, params }) =>
        await describeAccount(deps, await unsuspendAccount(deps, await accountId(deps, params.id), admin)),
      {
        params: IdParams,
        response: AccountModel,
        detail: { summary: "Lift a suspension" },
      },
    )
    .get(
      "/accounts/:id/keys",
      async ({ params }) => (await listKeys(deps, await accountId(deps, params.id))).map(describeKey),
      {
        params: IdParams,
        response: t.Array(KeyModel),
        detail: { summary: "An account's keys" },
      },
    )
    .post(
      "/accounts/:id/keys",
      async ({ admin, params, body, set }) => {
        const { key, row } = await issueKey(
          deps,
          await accountId(deps, params.id),
          keySettings(keyInput(body), deps.clock.now()),
          admin,
        );
        set.status = 201;
        return { ...describeKey(row), key };
      },
      {
        params: IdParams,
        body: KeyCreate,
        response: { 201: IssuedKeyModel },
        detail: { summary: "Issue a key for an account (shown once)" },
      },
    )
    .delete("/keys/:id", async ({ admin, params }) => describeKey(await revokeKey(deps, params.id, admin)), {
      params: IdParams,
      response: KeyModel,
      detail: { summary: "Revoke any key" },
    })
    .post("/keyring/rotate", ({ admin }) => rotateKeyring(deps, admin), {
      response: t.Object({ kid: t.String() }),
      detail: { summary: "Add a signing key; older ones keep verifying" },
    });
}
