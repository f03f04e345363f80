CREATE TABLE `abuse_flags` (
	`id` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`subject` text NOT NULL,
	`details` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer,
	`cleared_at` integer
);
--> statement-breakpoint
CREATE INDEX `abuse_flags_subject_idx` ON `abuse_flags` (`subject`);--> statement-breakpoint
CREATE TABLE `trend_objections` (
	`account_id` text PRIMARY KEY NOT NULL,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `usage_daily` (
	`day` text NOT NULL,
	`account_id` text NOT NULL,
	`model` text NOT NULL,
	`requests` integer NOT NULL,
	`input_tokens` integer NOT NULL,
	`output_tokens` integer NOT NULL,
	`cached_input_tokens` integer NOT NULL,
	`cost_micros` integer NOT NULL,
	`errors` integer NOT NULL,
	PRIMARY KEY(`day`, `account_id`, `model`)
);
--> statement-breakpoint
CREATE INDEX `usage_daily_account_idx` ON `usage_daily` (`account_id`,`day`);--> statement-breakpoint
CREATE TABLE `usage_events` (
	`id` text PRIMARY KEY NOT NULL,
	`at` integer NOT NULL,
	`account_id` text NOT NULL,
	`key_id` text,
	`ip_enc` text,
	`model` text NOT NULL,
	`provider` text,
	`endpoint` text NOT NULL,
	`stream` integer NOT NULL,
	`status` integer NOT NULL,
	`outcome` text NOT NULL,
	`input_tokens` integer NOT NULL,
	`output_tokens` integer NOT NULL,
	`cached_input_tokens` integer NOT NULL,
	`estimated` integer NOT NULL,
	`cost_micros` integer NOT NULL,
	`latency_ms` integer NOT NULL,
	`error_type` text,
	`error_code` text
);
--> statement-breakpoint
CREATE INDEX `usage_events_account_at_idx` ON `usage_events` (`account_id`,`at`);--> statement-breakpoint
CREATE INDEX `usage_events_at_idx` ON `usage_events` (`at`);