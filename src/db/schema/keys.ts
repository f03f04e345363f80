import { index, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { integer } from "./columns";
import { accounts } from "./accounts";

/**
 * The Ed25519 keyring that signs API keys. The private JWK is encrypted under the master key
 * bound to its row; the newest row signs, every row keeps verifying. `kid` is unique by key.
 */
export const signingKeys = sqliteTable("signing_keys", {
  kid: text("kid").primaryKey(),
  alg: text("alg").notNull(),
  publicJwk: text("public_jwk").notNull(),
  privateJwkEnc: text("private_jwk_enc").notNull(),
  createdAt: integer("created_at").notNull(),
});

/**
 * API keys by id (the JWT's `jti`). The key itself is shown once and never stored: this row holds
 * only its settings, which fill the caller's policy on every request.
 */
export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    kid: text("kid")
      .notNull()
      .references(() => signingKeys.kid),
    name: text("name").notNull().default(""),
    scopes: text("scopes", { mode: "json" }).$type<string[]>().notNull(),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at"),
    revokedAt: integer("revoked_at"),
    rpm: integer("rpm"),
    tpm: integer("tpm"),
    requireZdr: integer("require_zdr", { mode: "boolean" }).notNull().default(false),
    regions: text("regions", { mode: "json" }).$type<string[]>(),
    models: text("models", { mode: "json" }).$type<string[]>(),
    /** This key's own monthly spend cap in micro-dollars (null: none beyond the account's). */
    monthlyBudgetMicros: integer("monthly_budget_micros"),
  },
  (table) => [index("api_keys_account_idx").on(table.accountId)],
);
