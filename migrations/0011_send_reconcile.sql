ALTER TABLE `simulator_submissions` ADD `message_id` text;--> statement-breakpoint
CREATE INDEX `simulator_submissions_message_idx` ON `simulator_submissions` (`message_id`);