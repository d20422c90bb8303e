ALTER TABLE `batches` ADD `idempotency_key` text;--> statement-breakpoint
ALTER TABLE `batches` ADD `request_hash` text;--> statement-breakpoint
CREATE UNIQUE INDEX `batches_idempotency_idx` ON `batches` (`tenant_id`,`idempotency_key`);