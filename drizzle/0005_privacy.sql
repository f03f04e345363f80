CREATE TABLE `audit_anchors` (
	`seq` integer PRIMARY KEY NOT NULL,
	`hash` text NOT NULL,
	`entries` integer NOT NULL,
	`pruned_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `email_changes` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`email_enc` text NOT NULL,
	`secret_hash` text NOT NULL,
	`request_id` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `email_changes_account_idx` ON `email_changes` (`account_id`);--> statement-breakpoint
CREATE INDEX `email_changes_expires_idx` ON `email_changes` (`expires_at`);--> statement-breakpoint
CREATE TABLE `policy_notices` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`version` text NOT NULL,
	`queued_at` integer NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer NOT NULL,
	`sent_at` integer,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `policy_notices_account_version_idx` ON `policy_notices` (`account_id`,`version`);--> statement-breakpoint
CREATE INDEX `policy_notices_due_idx` ON `policy_notices` (`sent_at`,`next_attempt_at`);--> statement-breakpoint
CREATE TABLE `rights_requests` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`kind` text NOT NULL,
	`channel` text NOT NULL,
	`scope` text,
	`received_at` integer NOT NULL,
	`due_at` integer NOT NULL,
	`completed_at` integer,
	`outcome` text,
	CONSTRAINT "rights_requests_kind_check" CHECK("rights_requests"."kind" IN ('access', 'rectify', 'erase', 'restrict', 'object'))
);
--> statement-breakpoint
CREATE INDEX `rights_requests_account_idx` ON `rights_requests` (`account_id`,`received_at`);--> statement-breakpoint
CREATE INDEX `rights_requests_open_idx` ON `rights_requests` (`completed_at`,`due_at`);--> statement-breakpoint
-- Audit retention (retention.audit_years): only entries at or below a recorded anchor may be deleted; anchors are append-only.
DROP TRIGGER `audit_log_no_delete`;
--> statement-breakpoint
CREATE TRIGGER `audit_log_no_delete` BEFORE DELETE ON `audit_log`
WHEN OLD.`seq` > (SELECT coalesce(max(`seq`), 0) FROM `audit_anchors`)
BEGIN
	SELECT RAISE(ABORT, 'audit_log is append-only');
END;
--> statement-breakpoint
CREATE TRIGGER `audit_anchors_no_update` BEFORE UPDATE ON `audit_anchors`
BEGIN
	SELECT RAISE(ABORT, 'audit_anchors is append-only');
END;
--> statement-breakpoint
CREATE TRIGGER `audit_anchors_no_delete` BEFORE DELETE ON `audit_anchors`
BEGIN
	SELECT RAISE(ABORT, 'audit_anchors is append-only');
END;
