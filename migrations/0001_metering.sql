CREATE TABLE `prices` (
	`country` text PRIMARY KEY NOT NULL,
	`unit_price` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `messages` ADD `price` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `messages` ADD `currency` text DEFAULT 'USD' NOT NULL;--> statement-breakpoint
ALTER TABLE `messages` ADD `refunded_at` integer;--> statement-breakpoint
CREATE INDEX `messages_refund_due_idx` ON `messages` (`updated_at`) WHERE status = 'failed' AND price > 0 AND carrier_message_id IS NULL AND refunded_at IS NULL;--> statement-breakpoint
ALTER TABLE `tenants` ADD `metered` integer DEFAULT true NOT NULL;