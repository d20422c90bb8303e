ALTER TABLE `tenants` ADD `shard` text DEFAULT 'DB' NOT NULL;--> statement-breakpoint
ALTER TABLE `tenants` ADD `retention_days` integer DEFAULT 90 NOT NULL;--> statement-breakpoint
-- Deleting a message is now only retention (and erasure never deletes): the rollup keeps what it counted, as
-- the statistics of messages whose content has expired. Before, no message was ever deleted.
DROP TRIGGER message_stats_delete;
