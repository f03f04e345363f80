import { sql } from "drizzle-orm";
import { check, index, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { integer } from "./columns";
import { accounts } from "./accounts";

export const RIGHTS = ["access", "rectify", "erase", "restrict", "object"] as const;
export type Right = (typeof RIGHTS)[number];
/**
 * How a request ended: carried out, an objection upheld or dismissed by an admin, left to lapse
 * (an unconfirmed email change), or failed (an export that could not be produced: ask again).
 */
export const RIGHTS_OUTCOMES = ["done", "upheld", "dismissed", "lapsed", "failed"] as const;
export type RightsOutcome = (typeof RIGHTS_OUTCOMES)[number];

/**
 * The rights ledger (Policy §14, GDPR Art. 12(3)): every data-subject request with when it was
 * received, when it is due (one calendar month later) and when it was completed. `scope` says
 * what an objection is about or why an erasure happened; nothing personal is kept here.
 */
export const rightsRequests = sqliteTable(
  "rights_requests",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id").notNull(),
    kind: text("kind", { enum: RIGHTS }).notNull(),
    /** `account`: the person asked over HTTP; `admin`: an operator acted on a request (CLI or /admin). */
    channel: text("channel", { enum: ["account", "admin"] }).notNull(),
    scope: text("scope"),
    receivedAt: integer("received_at").notNull(),
    dueAt: integer("due_at").notNull(),
    completedAt: integer("completed_at"),
    outcome: text("outcome", { enum: RIGHTS_OUTCOMES }),
  },
  (t) => [
    index("rights_requests_account_idx").on(t.accountId, t.receivedAt),
    index("rights_requests_open_idx").on(t.completedAt, t.dueAt),
    check("rights_requests_kind_check", sql`${t.kind} IN ('access', 'rectify', 'erase', 'restrict', 'object')`),
  ],
);

/**
 * A pending correction of the address (Art. 16): the new address, encrypted and bound to this
 * row, waits here until the link mailed to it is opened; only then does the account change.
 */
export const emailChanges = sqliteTable(
  "email_changes",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    emailEnc: text("email_enc").notNull(),
    secretHash: text("secret_hash").notNull(),
    requestId: text("request_id").notNull(),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
  },
  (t) => [index("email_changes_account_idx").on(t.accountId), index("email_changes_expires_idx").on(t.expiresAt)],
);

/**
 * Policy-change notices (Policy §16): one row per verified account and material version, sent
 * by email with retries; `sent_at` records the delivery. The address is read from the account
 * at sending time, never copied here.
 */
export const policyNotices = sqliteTable(
  "policy_notices",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    version: text("version").notNull(),
    queuedAt: integer("queued_at").notNull(),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: integer("next_attempt_at").notNull(),
    sentAt: integer("sent_at"),
  },
  (t) => [
    uniqueIndex("policy_notices_account_version_idx").on(t.accountId, t.version),
    index("policy_notices_due_idx").on(t.sentAt, t.nextAttemptAt),
  ],
);

/**
 * Where the audit chain starts after entries older than `retention.audit_years` were pruned: the
 * seq and hash of the last pruned entry. `audit verify` starts from the newest anchor; the
 * delete trigger on `audit_log` lets only entries at or below it go, and anchors are append-only.
 */
export const auditAnchors = sqliteTable("audit_anchors", {
  seq: integer("seq").primaryKey(),
  hash: text("hash").notNull(),
  entries: integer("entries").notNull(),
  prunedAt: integer("pruned_at").notNull(),
});
