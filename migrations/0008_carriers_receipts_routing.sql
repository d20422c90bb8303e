CREATE TABLE `carrier_health` (
	`carrier` text PRIMARY KEY NOT NULL,
	`failures` integer DEFAULT 0 NOT NULL,
	`open_until` integer,
	`probe_at` integer,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `carrier_receipts` (
	`id` text PRIMARY KEY NOT NULL,
	`carrier` text NOT NULL,
	`carrier_key` text NOT NULL,
	`status` text,
	`error_code` text,
	`carrier_status` text NOT NULL,
	`carrier_time` text,
	`raw` text NOT NULL,
	`message_id` text,
	`result` text NOT NULL,
	`received_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `carrier_receipts_held_idx` ON `carrier_receipts` (`carrier`,`carrier_key`) WHERE result = 'held';--> statement-breakpoint
CREATE INDEX `carrier_receipts_message_idx` ON `carrier_receipts` (`message_id`);--> statement-breakpoint
CREATE TABLE `message_parts` (
	`carrier` text NOT NULL,
	`carrier_key` text NOT NULL,
	`message_id` text NOT NULL,
	`part` integer NOT NULL,
	`status` text NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`carrier`, `carrier_key`),
	FOREIGN KEY (`message_id`) REFERENCES `messages`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `message_parts_message_idx` ON `message_parts` (`message_id`,`part`);--> statement-breakpoint
CREATE TABLE `routes` (
	`country` text PRIMARY KEY NOT NULL,
	`carriers` text NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `inbound_messages` ADD `payload` text;--> statement-breakpoint
ALTER TABLE `message_events` ADD `receipt_id` text;--> statement-breakpoint
ALTER TABLE `messages` ADD `parts` integer;--> statement-breakpoint
ALTER TABLE `messages` ADD `parts_delivered` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `messages` ADD `submitted_at` integer;--> statement-breakpoint
CREATE INDEX `messages_awaiting_receipt_idx` ON `messages` (`submitted_at`) WHERE status = 'sent';--> statement-breakpoint
-- Messages already with a carrier and waiting for a receipt: their one part, and when they were submitted.
INSERT INTO `message_parts` (`carrier`, `carrier_key`, `message_id`, `part`, `status`, `updated_at`)
  SELECT `carrier`, lower(`carrier_message_id`), `id`, 1, 'sent', `updated_at` FROM `messages`
  WHERE `status` = 'sent' AND `carrier_message_id` IS NOT NULL ON CONFLICT DO NOTHING;--> statement-breakpoint
UPDATE `messages` SET `parts` = 1, `submitted_at` = `updated_at` WHERE `status` = 'sent' AND `carrier_message_id` IS NOT NULL;
