import { type Static, t } from "elysia";

/** A moment in ISO 8601, or null. */
export const when = t.Nullable(t.String({ format: "date-time" }));

/**
 * The account as shown to its owner, an admin or the CLI: the email decrypted, times in ISO 8601.
 * The routes' response model (validation and OpenAPI) and the services' return type in one.
 */
export const AccountModel = t.Object({
  id: t.String(),
  email: t.Nullable(t.String()),
  status: t.Union([t.Literal("active"), t.Literal("suspended"), t.Literal("restricted"), t.Literal("erased")]),
  role: t.Union([t.Literal("user"), t.Literal("admin")]),
  verified_at: when,
  age_confirmed_at: when,
  policy_version: t.Nullable(t.String()),
  policy_accepted_at: when,
  require_zdr: t.Boolean(),
  regions: t.Nullable(t.Array(t.String())),
  created_at: t.String({ format: "date-time" }),
});

export type AccountInfo = Static<typeof AccountModel>;
