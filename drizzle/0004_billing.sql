CREATE TABLE `billing_checkouts` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`amount_micros` integer NOT NULL,
	`url` text,
	`status` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `billing_checkouts_account_idx` ON `billing_checkouts` (`account_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `billing_customers` (
	`account_id` text PRIMARY KEY NOT NULL,
	`stripe_customer_id` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `billing_customers_stripe_customer_id_unique` ON `billing_customers` (`stripe_customer_id`);--> statement-breakpoint
CREATE TABLE `billing_ledger` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`id` text NOT NULL,
	`account_id` text NOT NULL,
	`at` integer NOT NULL,
	`kind` text NOT NULL,
	`amount_micros` integer NOT NULL,
	`requests` integer,
	`ref` text,
	`reason` text,
	CONSTRAINT "billing_ledger_sign_check" CHECK((kind IN ('purchase', 'grant') AND amount_micros > 0) OR (kind IN ('usage', 'refund') AND amount_micros < 0) OR (kind = 'adjustment' AND amount_micros <> 0))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `billing_ledger_id_unique` ON `billing_ledger` (`id`);--> statement-breakpoint
CREATE INDEX `billing_ledger_account_idx` ON `billing_ledger` (`account_id`,`seq`);--> statement-breakpoint
CREATE UNIQUE INDEX `billing_ledger_purchase_ref_idx` ON `billing_ledger` (`ref`) WHERE kind = 'purchase';--> statement-breakpoint
CREATE TABLE `meter_outbox` (
	`request_id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`at` integer NOT NULL,
	`value_micros` integer NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer NOT NULL,
	`failed_code` text
);
--> statement-breakpoint
CREATE INDEX `meter_outbox_due_idx` ON `meter_outbox` (`failed_code`,`next_attempt_at`);--> statement-breakpoint
CREATE TABLE `stripe_events` (
	`id` text PRIMARY KEY NOT NULL,
	`type` text NOT NULL,
	`processed_at` integer NOT NULL
);
--> statement-breakpoint
-- Billing records are append-only (Policy §5, §8): amounts, kinds, times and references never change.
-- Only account_id may be re-pointed (erasure's legal hold); deletion is left to retention after billing_years.
CREATE TRIGGER `billing_ledger_append_only` BEFORE UPDATE OF `seq`, `id`, `at`, `kind`, `amount_micros`, `requests`, `ref`, `reason` ON `billing_ledger`
BEGIN
	SELECT RAISE(ABORT, 'billing_ledger is append-only');
END;
