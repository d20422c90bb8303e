CREATE TABLE `batch_items` (
	`batch_id` text NOT NULL,
	`idx` integer NOT NULL,
	`to` text NOT NULL,
	`params` text,
	PRIMARY KEY(`batch_id`, `idx`),
	FOREIGN KEY (`batch_id`) REFERENCES `batches`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `batch_rejects` (
	`batch_id` text NOT NULL,
	`idx` integer NOT NULL,
	`to` text NOT NULL,
	`contact_id` text,
	`code` text NOT NULL,
	`detail` text NOT NULL,
	PRIMARY KEY(`batch_id`, `idx`),
	FOREIGN KEY (`batch_id`) REFERENCES `batches`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `batches` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`mode` text NOT NULL,
	`name` text,
	`type` text NOT NULL,
	`template_id` text,
	`body` text,
	`from` text,
	`group_id` text,
	`status` text NOT NULL,
	`total` integer,
	`accepted` integer DEFAULT 0 NOT NULL,
	`rejected` integer DEFAULT 0 NOT NULL,
	`position` integer DEFAULT 0 NOT NULL,
	`cursor` text,
	`send_at` integer,
	`stop_code` text,
	`stop_detail` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`completed_at` integer,
	`canceled_at` integer,
	`drained_at` integer,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `batches_tenant_idx` ON `batches` (`tenant_id`,`id`);--> statement-breakpoint
CREATE INDEX `batches_status_idx` ON `batches` (`status`,`updated_at`);--> statement-breakpoint
DROP INDEX `messages_refund_due_idx`;--> statement-breakpoint
ALTER TABLE `messages` ADD `send_at` integer;--> statement-breakpoint
ALTER TABLE `messages` ADD `batch_id` text;--> statement-breakpoint
CREATE INDEX `messages_refund_owed_idx` ON `messages` (`updated_at`) WHERE status IN ('failed', 'canceled') AND price > 0 AND carrier_message_id IS NULL AND refunded_at IS NULL;--> statement-breakpoint
CREATE INDEX `messages_due_idx` ON `messages` (`send_at`) WHERE status = 'scheduled';--> statement-breakpoint
CREATE INDEX `messages_batch_status_idx` ON `messages` (`batch_id`,`status`,`id`) WHERE batch_id IS NOT NULL;--> statement-breakpoint
CREATE INDEX `messages_batch_idx` ON `messages` (`batch_id`,`id`) WHERE batch_id IS NOT NULL;--> statement-breakpoint
ALTER TABLE `tenants` ADD `quiet_hours` text;