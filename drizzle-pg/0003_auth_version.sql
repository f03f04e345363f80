-- How a running instance learns that another process changed what authentication holds in memory
-- (accounts, API keys, the signing keyring): every statement that writes one of those tables bumps
-- this one-row counter in the same transaction, so the new value is visible exactly when the change
-- is. Instances read it at most every SYNC_MS (auth/view.ts) and reload when it moved; usage,
-- billing and audit writes leave it alone. SQLite needs no table: its data_version does this.
CREATE TABLE "__kriora_auth_version" (
	"id" integer PRIMARY KEY CHECK ("id" = 1),
	"version" bigint NOT NULL
);
--> statement-breakpoint
INSERT INTO "__kriora_auth_version" ("id", "version") VALUES (1, 0);
--> statement-breakpoint
CREATE FUNCTION "kriora_bump_auth_version"() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
	UPDATE "__kriora_auth_version" SET "version" = "version" + 1 WHERE "id" = 1;
	RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "accounts_auth_version" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "accounts" FOR EACH STATEMENT EXECUTE FUNCTION "kriora_bump_auth_version"();
--> statement-breakpoint
CREATE TRIGGER "api_keys_auth_version" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "api_keys" FOR EACH STATEMENT EXECUTE FUNCTION "kriora_bump_auth_version"();
--> statement-breakpoint
CREATE TRIGGER "signing_keys_auth_version" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "signing_keys" FOR EACH STATEMENT EXECUTE FUNCTION "kriora_bump_auth_version"();
