import { and, eq, or, sql } from "drizzle-orm";
import { check, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { integer } from "./columns";

export const ACCOUNT_STATUSES = ["active", "suspended", "restricted", "erased"] as const;
export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];
/** The statuses a suspension starts from, and returns to. */
export const SUSPENDABLE = ["active", "restricted"] as const;
export const ACCOUNT_ROLES = ["user", "admin"] as const;
export type AccountRole = (typeof ACCOUNT_ROLES)[number];

/**
 * One person or team member (Policy §2: the email is the only personal datum collected). The
 * email is AES-GCM encrypted bound to this row; `email_index` is its HMAC blind index for
 * lookups. Both are null once the account is erased. The consent record (minimum age confirmed,
 * policy version accepted and when) sits beside it (Policy §7, §15).
 */
export const accounts = sqliteTable(
  "accounts",
  {
    id: text("id").primaryKey(),
    emailEnc: text("email_enc"),
    emailIndex: text("email_index").unique(),
    status: text("status", { enum: ACCOUNT_STATUSES }).notNull().default("active"),
    /** While suspended: the status to return to on unsuspend, so a suspension never lifts an Art. 18 restriction. */
    suspendedFrom: text("suspended_from", { enum: SUSPENDABLE }),
    role: text("role", { enum: ACCOUNT_ROLES }).notNull().default("user"),
    ageConfirmedAt: integer("age_confirmed_at"),
    policyVersion: text("policy_version"),
    policyAcceptedAt: integer("policy_accepted_at"),
    verifiedAt: integer("verified_at"),
    /** Upstream retention constraints for every key of the account (Policy §3, §12). */
    requireZdr: integer("require_zdr", { mode: "boolean" }).notNull().default(false),
    regions: text("regions", { mode: "json" }).$type<string[]>(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (table) => [
    check("accounts_status_check", sql`${table.status} IN ('active', 'suspended', 'restricted', 'erased')`),
    check("accounts_role_check", sql`${table.role} IN ('user', 'admin')`),
  ],
);

/** Accounts under an Art. 18 restriction, including restricted ones that are suspended on top of it. */
export const underRestriction = or(
  eq(accounts.status, "restricted"),
  and(eq(accounts.status, "suspended"), eq(accounts.suspendedFrom, "restricted")),
)!;
