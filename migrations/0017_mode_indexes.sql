DROP INDEX `batches_tenant_idx`;--> statement-breakpoint
CREATE INDEX `batches_tenant_mode_idx` ON `batches` (`tenant_id`,`mode`,`id`);--> statement-breakpoint
DROP INDEX `messages_tenant_idx`;--> statement-breakpoint
DROP INDEX `messages_tenant_status_idx`;--> statement-breakpoint
DROP INDEX `messages_tenant_to_idx`;--> statement-breakpoint
CREATE INDEX `messages_tenant_mode_idx` ON `messages` (`tenant_id`,`mode`,`id`);--> statement-breakpoint
CREATE INDEX `messages_tenant_mode_status_idx` ON `messages` (`tenant_id`,`mode`,`status`,`id`);--> statement-breakpoint
CREATE INDEX `messages_tenant_mode_from_idx` ON `messages` (`tenant_id`,`mode`,`from`,`id`);--> statement-breakpoint
CREATE INDEX `messages_tenant_mode_to_idx` ON `messages` (`tenant_id`,`mode`,`to`,`id`);--> statement-breakpoint
CREATE INDEX `batch_items_to_idx` ON `batch_items` (`to`,`batch_id`);--> statement-breakpoint
CREATE INDEX `batch_rejects_to_idx` ON `batch_rejects` (`to`,`batch_id`);