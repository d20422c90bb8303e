CREATE TABLE `inbound_messages` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text,
	`carrier` text NOT NULL,
	`webhook_id` text NOT NULL,
	`from` text NOT NULL,
	`to` text NOT NULL,
	`text` text NOT NULL,
	`action` text,
	`in_reply_to` text,
	`handled_at` integer,
	`received_at` integer NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `inbound_webhook_idx` ON `inbound_messages` (`carrier`,`webhook_id`);--> statement-breakpoint
CREATE INDEX `inbound_tenant_idx` ON `inbound_messages` (`tenant_id`,`id`);--> statement-breakpoint
CREATE INDEX `inbound_tenant_from_idx` ON `inbound_messages` (`tenant_id`,`from`,`id`);--> statement-breakpoint
CREATE TABLE `tenant_numbers` (
	`number` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
ALTER TABLE `tenants` ADD `keywords` text;