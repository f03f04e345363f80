import { index, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { integer } from "./columns";

/**
 * One row per proxied request: SPEC "Minimal metadata" and nothing else (Policy §2). No column
 * can hold a prompt or a response. `ip_enc` is the client address, encrypted and bound to the row,
 * erased after `retention.ip_days`; rows are rolled into `usage_daily` after `usage_detail_days`.
 */
export const usageEvents = sqliteTable(
  "usage_events",
  {
    id: text("id").primaryKey(),
    at: integer("at").notNull(),
    accountId: text("account_id").notNull(),
    keyId: text("key_id"),
    ipEnc: text("ip_enc"),
    model: text("model").notNull(),
    provider: text("provider"),
    endpoint: text("endpoint").notNull(),
    stream: integer("stream", { mode: "boolean" }).notNull(),
    status: integer("status").notNull(),
    outcome: text("outcome").notNull(),
    inputTokens: integer("input_tokens").notNull(),
    outputTokens: integer("output_tokens").notNull(),
    cachedInputTokens: integer("cached_input_tokens").notNull(),
    estimated: integer("estimated", { mode: "boolean" }).notNull(),
    costMicros: integer("cost_micros").notNull(),
    latencyMs: integer("latency_ms").notNull(),
    errorType: text("error_type"),
    errorCode: text("error_code"),
  },
  (t) => [index("usage_events_account_at_idx").on(t.accountId, t.at), index("usage_events_at_idx").on(t.at)],
);

/** Per account, model and UTC day: kept in the same transaction as the rows, for fast queries. */
export const usageDaily = sqliteTable(
  "usage_daily",
  {
    day: text("day").notNull(),
    accountId: text("account_id").notNull(),
    model: text("model").notNull(),
    requests: integer("requests").notNull(),
    inputTokens: integer("input_tokens").notNull(),
    outputTokens: integer("output_tokens").notNull(),
    cachedInputTokens: integer("cached_input_tokens").notNull(),
    costMicros: integer("cost_micros").notNull(),
    errors: integer("errors").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.day, t.accountId, t.model] }),
    index("usage_daily_account_idx").on(t.accountId, t.day),
  ],
);

/**
 * Decisions of the abuse controls (Policy §5): temporary blocks of an address and flags on keys.
 * `subject` is an HMAC of the address (never the address) or a key id; `details` holds counts.
 */
export const abuseFlags = sqliteTable(
  "abuse_flags",
  {
    id: text("id").primaryKey(),
    kind: text("kind", { enum: ["address_block", "key_many_addresses"] }).notNull(),
    subject: text("subject").notNull(),
    details: text("details").notNull(),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at"),
    clearedAt: integer("cleared_at"),
  },
  (t) => [index("abuse_flags_subject_idx").on(t.subject)],
);

/**
 * Accounts that objected to usage-trend analytics (GDPR Art. 21, Policy §11): left out of every
 * aggregate trend query from the moment of objection.
 */
export const trendObjections = sqliteTable("trend_objections", {
  accountId: text("account_id").primaryKey(),
  at: integer("at").notNull(),
});
