CREATE TABLE `data_keys` (
	`owner_id` text PRIMARY KEY NOT NULL,
	`wrapped` text NOT NULL,
	`created_at` integer NOT NULL,
	`wrapped_at` integer NOT NULL
);
