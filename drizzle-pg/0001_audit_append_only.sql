-- The triggers of the SQLite migrations (0001, 0004, 0005), ported: the audit trail, its anchors and
-- the billing ledger are append-only (Policy §5, §8, §9); the database itself refuses the change.
-- PostgreSQL also has TRUNCATE, which row triggers do not see: it is refused on the audit tables.
-- `SET search_path FROM CURRENT` pins the functions to the schema they were created in.
CREATE FUNCTION "kriora_append_only"() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
	RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'raise_exception';
END;
$$;
--> statement-breakpoint
-- Audit retention (retention.audit_years): only entries at or below a recorded anchor may be deleted.
CREATE FUNCTION "kriora_audit_log_delete"() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
	IF OLD."seq" > (SELECT coalesce(max("seq"), 0) FROM "audit_anchors") THEN
		RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'raise_exception';
	END IF;
	RETURN OLD;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "audit_log_no_update" BEFORE UPDATE ON "audit_log" FOR EACH ROW EXECUTE FUNCTION "kriora_append_only"();
--> statement-breakpoint
CREATE TRIGGER "audit_log_no_delete" BEFORE DELETE ON "audit_log" FOR EACH ROW EXECUTE FUNCTION "kriora_audit_log_delete"();
--> statement-breakpoint
CREATE TRIGGER "audit_log_no_truncate" BEFORE TRUNCATE ON "audit_log" FOR EACH STATEMENT EXECUTE FUNCTION "kriora_append_only"();
--> statement-breakpoint
CREATE TRIGGER "audit_anchors_no_update" BEFORE UPDATE ON "audit_anchors" FOR EACH ROW EXECUTE FUNCTION "kriora_append_only"();
--> statement-breakpoint
CREATE TRIGGER "audit_anchors_no_delete" BEFORE DELETE ON "audit_anchors" FOR EACH ROW EXECUTE FUNCTION "kriora_append_only"();
--> statement-breakpoint
CREATE TRIGGER "audit_anchors_no_truncate" BEFORE TRUNCATE ON "audit_anchors" FOR EACH STATEMENT EXECUTE FUNCTION "kriora_append_only"();
--> statement-breakpoint
-- Only account_id may be re-pointed (erasure's legal hold); deletion is left to retention after billing_years.
CREATE TRIGGER "billing_ledger_append_only" BEFORE UPDATE OF "seq", "id", "at", "kind", "amount_micros", "requests", "ref", "reason" ON "billing_ledger" FOR EACH ROW EXECUTE FUNCTION "kriora_append_only"();
