import { Elysia, t } from "elysia";
import type { Deps } from "../../deps";
import type { Principal, Scope } from "../../auth/principal";
import { describeKey, findKey, issueKey, listKeys, revokeKey } from "../../keys/apiKeys";
import { keySettings } from "../../keys/settings";
import { KrioraError } from "../../lib/errors";
import { actorOf, requireScope } from "../access";
import { IdParams, IssuedKeyModel, KeyCreate, KeyModel, keyInput } from "./accountSchemas";

/** A key can only mint keys with scopes it holds itself; a session may mint any its account may hold. */
function assertMayGrant(principal: Principal, scopes: readonly Scope[]) {
  if (principal.via !== "api_key") return;
  const beyond = scopes.find((s) => !principal.scopes.has(s));
  if (beyond) throw new KrioraError("forbidden", `This key cannot grant the ${beyond} scope.`, { param: "scopes" });
}

/** The caller's keys. Another account's key id is 404, as if it did not exist (object-level authorization). */
export function accountKeyRoutes(deps: Deps) {
  return new Elysia({ prefix: "/account/keys", detail: { tags: ["account"], security: [{ session: [] }, { apiKey: [] }] } })
    .derive(async ({ request }) => ({ principal: await requireScope(deps, request, "account") }))
    .get("", ({ principal }) => listKeys(deps, principal.accountId).map(describeKey), { response: t.Array(KeyModel), detail: { summary: "Your keys" } })
    .post(
      "",
      async ({ principal, body, set }) => {
        const settings = keySettings(keyInput(body), deps.clock.now());
        assertMayGrant(principal, settings.scopes);
        const { key, row } = await issueKey(deps, principal.accountId, settings, actorOf(principal));
        set.status = 201;
        return { ...describeKey(row), key };
      },
      { body: KeyCreate, response: { 201: IssuedKeyModel }, detail: { summary: "Issue a key (shown once)" } },
    )
    .get("/:id", ({ principal, params }) => describeKey(findKey(deps.db, params.id, principal.accountId)), {
      params: IdParams,
      response: KeyModel,
      detail: { summary: "One of your keys" },
    })
    .delete("/:id", ({ principal, params }) => describeKey(revokeKey(deps, params.id, actorOf(principal), principal.accountId)), {
      params: IdParams,
      response: KeyModel,
      detail: { summary: "Revoke one of your keys (effective at once)" },
    });
}
