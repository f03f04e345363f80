import { index, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { integer } from "./columns";
import { accounts } from "./accounts";

/** Browser sessions (Policy §11): only SHA-256 of the token's secret half is stored. */
export const sessions = sqliteTable(
  "sessions",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    secretHash: text("secret_hash").notNull(),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
  },
  (table) => [index("sessions_account_idx").on(table.accountId), index("sessions_expires_idx").on(table.expiresAt)],
);

/**
 * Pending magic links: single use (the row is deleted when used), short-lived, only the hash of
 * the secret stored. A sign-up link for a new address carries the encrypted address and the
 * consent given, and the account is created only when the link is opened.
 */
export const magicLinks = sqliteTable(
  "magic_links",
  {
    id: text("id").primaryKey(),
    secretHash: text("secret_hash").notNull(),
    purpose: text("purpose", { enum: ["signup", "login"] }).notNull(),
    accountId: text("account_id").references(() => accounts.id, { onDelete: "cascade" }),
    emailEnc: text("email_enc"),
    emailIndex: text("email_index"),
    ageConfirmedAt: integer("age_confirmed_at"),
    policyVersion: text("policy_version"),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
  },
  (table) => [index("magic_links_expires_idx").on(table.expiresAt)],
);
