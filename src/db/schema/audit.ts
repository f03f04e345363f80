import { sqliteTable, text } from "drizzle-orm/sqlite-core";
import { integer } from "./columns";

/**
 * Append-only, hash-chained audit trail (Policy §9 internal audit logs). `target` holds an id,
 * never an email; `details` holds non-personal JSON. UPDATE and DELETE are rejected by triggers
 * created in the migration.
 */
export const auditLog = sqliteTable("audit_log", {
  seq: integer("seq").primaryKey(),
  at: integer("at").notNull(),
  actor: text("actor").notNull(),
  action: text("action").notNull(),
  target: text("target"),
  details: text("details").notNull(),
  prevHash: text("prev_hash").notNull(),
  hash: text("hash").notNull(),
});
