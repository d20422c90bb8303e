DROP INDEX `events_tenant_idx`;--> statement-breakpoint
ALTER TABLE `events` ADD `mode` text DEFAULT 'live' NOT NULL;--> statement-breakpoint
CREATE INDEX `events_tenant_idx` ON `events` (`tenant_id`,`mode`,`seq`);--> statement-breakpoint
DROP INDEX `inbound_tenant_idx`;--> statement-breakpoint
DROP INDEX `inbound_tenant_from_idx`;--> statement-breakpoint
ALTER TABLE `inbound_messages` ADD `mode` text DEFAULT 'live' NOT NULL;--> statement-breakpoint
ALTER TABLE `inbound_messages` ADD `claimed_until` integer;--> statement-breakpoint
ALTER TABLE `inbound_messages` ADD `replied_at` integer;--> statement-breakpoint
CREATE INDEX `inbound_tenant_idx` ON `inbound_messages` (`tenant_id`,`mode`,`id`);--> statement-breakpoint
CREATE INDEX `inbound_tenant_from_idx` ON `inbound_messages` (`tenant_id`,`mode`,`from`,`id`);--> statement-breakpoint
ALTER TABLE `api_keys` ADD `scopes` text;--> statement-breakpoint
ALTER TABLE `webhook_endpoints` ADD `mode` text DEFAULT 'live' NOT NULL;--> statement-breakpoint
-- Backfill: replies through the simulator are test traffic; an event takes the mode of what it is about.
UPDATE `inbound_messages` SET `mode` = 'test' WHERE `carrier` = 'simulator';--> statement-breakpoint
UPDATE `events` SET `mode` = coalesce(
  CASE
    WHEN `type` = 'message.status' THEN (SELECT m.mode FROM messages m WHERE m.id = json_extract(events.data, '$.message_id'))
    WHEN `type` = 'batch.completed' THEN (SELECT b.mode FROM batches b WHERE b.id = json_extract(events.data, '$.batch_id'))
    WHEN `type` LIKE 'alert.%' THEN (SELECT r.mode FROM alert_rules r WHERE r.id = json_extract(events.data, '$.alert_id'))
    WHEN `type` = 'message.inbound' THEN (SELECT i.mode FROM inbound_messages i WHERE i.id = json_extract(events.data, '$.id'))
  END, 'live');--> statement-breakpoint
-- An endpoint made before modes receives live events, as it would have (test events went to it too).
UPDATE `webhook_endpoints` SET `mode` = 'live';
