DROP INDEX `messages_carrier_id_idx`;--> statement-breakpoint
ALTER TABLE `carrier_receipts` ADD `reference` text;--> statement-breakpoint
ALTER TABLE `carrier_receipts` ADD `carrier_message_id` text;--> statement-breakpoint
CREATE INDEX `carrier_receipts_held_reference_idx` ON `carrier_receipts` (`reference`) WHERE result = 'held';