import { t } from "elysia";
import { CHECKOUT_STATUSES, RIGHTS, RIGHTS_OUTCOMES } from "../../db/schema";
import { ERASURE_REASONS } from "../../privacy/erasure";
import { OBJECTION_SCOPES } from "../../privacy/objection";
import { AccountModel } from "../../accounts/accountModel";
import { KeyModel } from "./accountSchemas";
import { LedgerRowModel, MicrosSum } from "./billingSchemas";

/** The t.* models of the data-subject routes; the export document's schema is published in the OpenAPI spec. */
const when = t.String({ format: "date-time" });
const maybeWhen = t.Nullable(when);
const usd = t.String({ pattern: "^-?\\d+\\.\\d{2,6}$" });
const detailValue = t.Union([t.String(), t.Number(), t.Boolean(), t.Null()]);

export const RightsRequestModel = t.Object({
  id: t.String(),
  account_id: t.String(),
  kind: t.UnionEnum(RIGHTS),
  channel: t.UnionEnum(["account", "admin"]),
  scope: t.Nullable(
    t.String({ description: "objection: usage_trends or abuse_detection; erasure: its reason; correction: email" }),
  ),
  received_at: when,
  due_at: t.String({ format: "date-time", description: "one calendar month after receipt (GDPR Art. 12(3))" }),
  completed_at: maybeWhen,
  outcome: t.Nullable(t.UnionEnum(RIGHTS_OUTCOMES)),
  overdue: t.Boolean(),
});

const UsageEventModel = t.Object({
  id: t.String({ description: "the request id" }),
  at: when,
  key_id: t.Nullable(t.String()),
  ip: t.Nullable(t.String({ description: "the client address, decrypted; null once erased after retention.ip_days" })),
  model: t.String(),
  provider: t.Nullable(t.String()),
  endpoint: t.String(),
  stream: t.Boolean(),
  status: t.Integer(),
  outcome: t.String(),
  input_tokens: t.Integer(),
  output_tokens: t.Integer(),
  cached_input_tokens: t.Integer(),
  estimated: t.Boolean(),
  cost_micros: t.Integer(),
  latency_ms: t.Integer(),
  error_type: t.Nullable(t.String()),
  error_code: t.Nullable(t.String()),
});

const UsageDailyModel = t.Object({
  day: t.String(),
  model: t.String(),
  requests: t.Integer(),
  input_tokens: t.Integer(),
  output_tokens: t.Integer(),
  cached_input_tokens: t.Integer(),
  cost_micros: t.Integer(),
  errors: t.Integer(),
});

export const ExportModel = t.Object(
  {
    schema: t.Literal("kriora.export/v1"),
    generated_at: when,
    account: AccountModel,
    consents: t.Object({
      age_confirmed_at: maybeWhen,
      minimum_age: t.Integer(),
      policy_version_accepted: t.Nullable(t.String()),
      policy_accepted_at: maybeWhen,
      policy_version_in_force: t.String(),
      usage_trends_objection_at: maybeWhen,
    }),
    keys: t.Array(KeyModel, { description: "metadata only: keys themselves are never stored" }),
    sessions: t.Array(t.Object({ id: t.String(), created_at: when, expires_at: when })),
    pending_email_changes: t.Array(t.Object({ email: t.String(), requested_at: when, expires_at: when })),
    usage: t.Object({ events: t.Array(UsageEventModel), daily: t.Array(UsageDailyModel) }),
    billing: t.Object({
      mode: t.UnionEnum(["off", "prepaid", "metered"]),
      balance_micros: MicrosSum,
      balance_usd: usd,
      stripe_customer_id: t.Nullable(t.String()),
      ledger: t.Array(LedgerRowModel, { description: "oldest first" }),
      checkouts: t.Array(
        t.Object({
          id: t.String(),
          amount_usd: usd,
          status: t.UnionEnum(CHECKOUT_STATUSES),
          created_at: when,
          expires_at: when,
        }),
      ),
    }),
    abuse_flags: t.Array(
      t.Object({
        id: t.String(),
        kind: t.String(),
        key_id: t.String(),
        details: t.Record(t.String(), t.Number()),
        created_at: when,
        expires_at: maybeWhen,
        cleared_at: maybeWhen,
      }),
    ),
    rights_requests: t.Array(RightsRequestModel),
    policy_notices: t.Array(t.Object({ version: t.String(), queued_at: when, sent_at: maybeWhen })),
    audit: t.Array(
      t.Object({
        seq: t.Integer(),
        at: when,
        actor: t.String(),
        action: t.String(),
        target: t.Nullable(t.String()),
        details: t.Record(t.String(), detailValue),
      }),
    ),
  },
  { description: "Everything Kriora holds about the account (Policy §14 access; GDPR Art. 15 and 20)" },
);

export const ErasureModel = t.Object({
  account_id: t.String(),
  status: t.Literal("erased"),
  reason: t.UnionEnum(ERASURE_REASONS),
  request_id: t.String(),
  removed: t.Object({
    keys: t.Integer(),
    sessions: t.Integer(),
    magic_links: t.Integer(),
    usage_events: t.Integer(),
    usage_daily: t.Integer(),
  }),
  billing_rows_held: t.Integer({
    description: "ledger rows kept under legal hold, now pointing at an unlinkable tombstone",
  }),
  stripe_customer: t.UnionEnum(["deleted", "none", "pending"]),
});

export const DeleteBody = t.Object({
  confirm: t.Literal(true, { description: "true: erase this account and everything about it, now" }),
});
export const ObjectBody = t.Object({ scope: t.UnionEnum(OBJECTION_SCOPES) });
export const EmailChangeModel = t.Object({ request_id: t.String(), expires_at: when });
