CREATE INDEX `simulator_submissions_age_idx` ON `simulator_submissions` (`created_at`);--> statement-breakpoint
ALTER TABLE `simulator_submissions` DROP COLUMN `to`;--> statement-breakpoint
ALTER TABLE `simulator_submissions` DROP COLUMN `body`;