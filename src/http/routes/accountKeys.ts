import { Elysia, t } from "elysia";
import type { Deps } from "../../deps";
import type { Principal } from "../../auth/principal";
import { describeKey, findKey, issueKey, listKeys, revokeKey, type KeySettings } from "../../keys/apiKeys";
import { assertDelegable } from "../../keys/delegation";
import { keySettings } from "../../keys/settings";
import { actorOf, requireScope } from "../access";
import { IdParams, IssuedKeyModel, KeyCreate, KeyModel, keyInput } from "./accountSchemas";

/** A key mints only keys within its own settings and the scopes it may use; a session may mint any its account may hold. */
async function assertMayGrant(deps: Deps, principal: Principal, settings: KeySettings) {
  if (principal.via !== "api_key" || principal.keyId === null) return;
  assertDelegable({ ...(await findKey(deps.db, principal.keyId)), scopes: principal.scopes }, settings);
}

/** The caller's keys. Another account's key id is 404, as if it did not exist (object-level authorization). */
export function accountKeyRoutes(deps: Deps) {
  return new Elysia({
    prefix: "/account/keys",
    detail: { tags: ["account"], security: [{ session: [] }, { apiKey: [] }] },
  })
    .derive(async ({ request }) => ({ principal: await requireScope(deps, request, "account") }))
    .get("", async ({ principal }) => (await listKeys(deps, principal.accountId)).map(describeKey), {
      response: t.Array(KeyModel),
      detail: { summary: "Your keys" },
    })
    .post(
      "",
      async ({ principal, body, set }) => {
        const settings = keySettings(keyInput(body), deps.clock.now());
        await assertMayGrant(deps, principal, settings);
        const { key, row } = await issueKey(deps, principal.accountId, settings, actorOf(principal));
        set.status = 201;
        return { ...describeKey(row), key };
      },
      { body: KeyCreate, response: { 201: IssuedKeyModel }, detail: { summary: "Issue a key (shown once)" } },
    )
    .get("/:id", async ({ principal, params }) => describeKey(await findKey(deps.db, params.id, principal.accountId)), {
      params: IdParams,
      response: KeyModel,
      detail: { summary: "One of your keys" },
    })
    .delete(
      "/:id",
      async ({ principal, params }) =>
        describeKey(await revokeKey(deps, params.id, actorOf(principal), principal.accountId)),
      {
        params: IdParams,
        response: KeyModel,
        detail: { summary: "Revoke one of your keys (effective at once)" },
      },
    );
}
