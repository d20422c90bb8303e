CREATE TABLE `compat_credentials` (
	`id` text PRIMARY KEY NOT NULL,
	`api` text NOT NULL,
	`tenant_id` text NOT NULL,
	`key_id` text NOT NULL,
	`secret_hash` text NOT NULL,
	`secret` text NOT NULL,
	`report_url` text,
	`created_at` integer NOT NULL,
	`revoked_at` integer,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`key_id`) REFERENCES `api_keys`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `compat_credentials_key_idx` ON `compat_credentials` (`key_id`);--> statement-breakpoint
CREATE INDEX `compat_credentials_tenant_idx` ON `compat_credentials` (`tenant_id`,`id`);--> statement-breakpoint
ALTER TABLE `batches` ADD `callback_url` text;--> statement-breakpoint
ALTER TABLE `batches` ADD `callback_format` text;--> statement-breakpoint
ALTER TABLE `batches` ADD `credential_id` text;--> statement-breakpoint
ALTER TABLE `batches` ADD `reference` text;--> statement-breakpoint
ALTER TABLE `messages` ADD `callback_format` text;--> statement-breakpoint
ALTER TABLE `messages` ADD `credential_id` text;--> statement-breakpoint
ALTER TABLE `messages` ADD `valid_until` integer;