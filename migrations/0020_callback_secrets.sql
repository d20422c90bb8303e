CREATE TABLE `callback_secrets` (
	`tenant_id` text NOT NULL,
	`mode` text NOT NULL,
	`secret` text NOT NULL,
	`previous_secret` text,
	`previous_until` integer,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`tenant_id`, `mode`)
);
