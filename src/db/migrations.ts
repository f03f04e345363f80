/**
 * Migrations embedded in the binary (a compiled binary has no drizzle/ folder beside it).
 * Each migration is listed here by its journal tag: drizzle-kit's for SQLite (drizzle/), and
 * scripts/pgMigrations.ts's for PostgreSQL (drizzle-pg/); a test checks the lists agree.
 */
import journal from "../../drizzle/meta/_journal.json" with { type: "json" };
import m0000 from "../../drizzle/0000_init.sql" with { type: "text" };
import m0001 from "../../drizzle/0001_audit_append_only.sql" with { type: "text" };
import m0002 from "../../drizzle/0002_accounts_keys.sql" with { type: "text" };
import m0003 from "../../drizzle/0003_usage_metering.sql" with { type: "text" };
import m0004 from "../../drizzle/0004_billing.sql" with { type: "text" };
import m0005 from "../../drizzle/0005_privacy.sql" with { type: "text" };
import m0006 from "../../drizzle/0006_key_budget.sql" with { type: "text" };
import m0007 from "../../drizzle/0007_suspended_from.sql" with { type: "text" };
import m0008 from "../../drizzle/0008_data_keys.sql" with { type: "text" };
import pgJournal from "../../drizzle-pg/meta/_journal.json" with { type: "json" };
import pg0000 from "../../drizzle-pg/0000_init.sql" with { type: "text" };
import pg0001 from "../../drizzle-pg/0001_audit_append_only.sql" with { type: "text" };
import pg0002 from "../../drizzle-pg/0002_data_keys.sql" with { type: "text" };

type Journal = { entries: { idx: number; when: number; tag: string }[] };

export const embeddedJournal: Journal = journal;

export const embeddedSql: Record<string, string> = {
  "0000_init": m0000,
  "0001_audit_append_only": m0001,
  "0002_accounts_keys": m0002,
  "0003_usage_metering": m0003,
  "0004_billing": m0004,
  "0005_privacy": m0005,
  "0006_key_budget": m0006,
  "0007_suspended_from": m0007,
  "0008_data_keys": m0008,
};

export const embeddedPgJournal: Journal = pgJournal;

export const embeddedPgSql: Record<string, string> = {
  "0000_init": pg0000,
  "0001_audit_append_only": pg0001,
  "0002_data_keys": pg0002,
};
