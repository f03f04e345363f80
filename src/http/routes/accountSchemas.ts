import { t } from "elysia";
import { when } from "../../accounts/accountModel";
import { SCOPES } from "../../keys/scopes";
import { MAX_BUDGET_USD, SETTING_ID, type KeySettingsInput } from "../../keys/settings";
import { DAY_MS } from "../../lib/clock";

/** The t.* models of the account and key routes: one source for validation, types and OpenAPI. */
const idList = t.Array(t.String({ pattern: SETTING_ID }), { maxItems: 256 });

/** What an account holder may change; anything else in the body (role, status, credits …) is dropped. */
export const AccountPatch = t.Object({
  require_zdr: t.Optional(t.Boolean()),
  regions: t.Optional(t.Nullable(idList)),
});

export const KeyModel = t.Object({
  id: t.String(),
  account_id: t.String(),
  name: t.String(),
  scopes: t.Array(t.String()),
  created_at: t.String({ format: "date-time" }),
  expires_at: when,
  revoked_at: when,
  rpm: t.Nullable(t.Integer()),
  tpm: t.Nullable(t.Integer()),
  require_zdr: t.Boolean(),
  regions: t.Nullable(t.Array(t.String())),
  models: t.Nullable(t.Array(t.String())),
  monthly_budget_usd: t.Nullable(
    t.Number({ description: "This key's own monthly spend cap in USD; null: none beyond the account's." }),
  ),
});

export const IssuedKeyModel = t.Composite([
  KeyModel,
  t.Object({ key: t.String({ description: "The key, shown this once and never stored." }) }),
]);

export const KeyCreate = t.Object({
  name: t.Optional(t.String({ maxLength: 100 })),
  scopes: t.Optional(t.Array(t.Union(SCOPES.map((s) => t.Literal(s))), { minItems: 1, uniqueItems: true })),
  expires_in_days: t.Optional(t.Integer({ minimum: 1, maximum: 3650 })),
  rpm: t.Optional(t.Integer({ minimum: 1 })),
  tpm: t.Optional(t.Integer({ minimum: 1 })),
  require_zdr: t.Optional(t.Boolean()),
  regions: t.Optional(idList),
  models: t.Optional(idList),
  monthly_budget_usd: t.Optional(
    t.Number({
      minimum: 0,
      maximum: MAX_BUDGET_USD,
      description: "USD a month this key may spend; 0 or absent: no cap of its own.",
    }),
  ),
});

export const EmailBody = t.Object({ email: t.String({ maxLength: 320 }) });

/** The secret of an emailed link, sent back by the console's confirm page. */
export const TokenBody = t.Object({ token: t.String({ maxLength: 200 }) });

export const IdParams = t.Object({ id: t.String({ maxLength: 64 }) });

export function keyInput(body: typeof KeyCreate.static): KeySettingsInput {
  return {
    name: body.name,
    scopes: body.scopes,
    expiresInMs: body.expires_in_days === undefined ? undefined : body.expires_in_days * DAY_MS,
    rpm: body.rpm,
    tpm: body.tpm,
    requireZdr: body.require_zdr,
    regions: body.regions,
    models: body.models,
    monthlyBudgetUsd: body.monthly_budget_usd,
  };
}
