CREATE TABLE `api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`mode` text NOT NULL,
	`prefix` text NOT NULL,
	`hash` text NOT NULL,
	`created_at` integer NOT NULL,
	`revoked_at` integer,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_hash_idx` ON `api_keys` (`hash`);--> statement-breakpoint
CREATE INDEX `api_keys_tenant_idx` ON `api_keys` (`tenant_id`,`id`);--> statement-breakpoint
CREATE TABLE `message_events` (
	`message_id` text NOT NULL,
	`seq` integer NOT NULL,
	`status` text NOT NULL,
	`at` integer NOT NULL,
	`detail` text,
	PRIMARY KEY(`message_id`, `seq`),
	FOREIGN KEY (`message_id`) REFERENCES `messages`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `messages` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`mode` text NOT NULL,
	`to` text NOT NULL,
	`country` text,
	`from` text,
	`type` text NOT NULL,
	`body` text NOT NULL,
	`status` text NOT NULL,
	`encoding` text NOT NULL,
	`segments` integer NOT NULL,
	`carrier` text NOT NULL,
	`carrier_message_id` text,
	`error_code` text,
	`error_message` text,
	`reference` text,
	`attempts` integer DEFAULT 0 NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `messages_tenant_idx` ON `messages` (`tenant_id`,`id`);--> statement-breakpoint
CREATE INDEX `messages_tenant_status_idx` ON `messages` (`tenant_id`,`status`,`id`);--> statement-breakpoint
CREATE INDEX `messages_tenant_to_idx` ON `messages` (`tenant_id`,`to`,`id`);--> statement-breakpoint
CREATE INDEX `messages_carrier_id_idx` ON `messages` (`carrier`,`carrier_message_id`);--> statement-breakpoint
CREATE INDEX `messages_status_updated_idx` ON `messages` (`status`,`updated_at`);--> statement-breakpoint
CREATE TABLE `simulator_submissions` (
	`id` text PRIMARY KEY NOT NULL,
	`to` text NOT NULL,
	`body` text NOT NULL,
	`outcome` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `tenants` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`created_at` integer NOT NULL
);
