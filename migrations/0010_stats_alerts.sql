CREATE TABLE `alert_rules` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`mode` text NOT NULL,
	`name` text,
	`kind` text NOT NULL,
	`threshold` real NOT NULL,
	`window_hours` integer,
	`country` text,
	`min_messages` integer,
	`state` text NOT NULL,
	`value` real,
	`evaluated_at` integer,
	`changed_at` integer,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `alert_rules_tenant_idx` ON `alert_rules` (`tenant_id`,`id`);--> statement-breakpoint
CREATE TABLE `message_stats` (
	`tenant_id` text NOT NULL,
	`mode` text NOT NULL,
	`hour` integer NOT NULL,
	`country` text NOT NULL,
	`type` text NOT NULL,
	`carrier` text NOT NULL,
	`template_id` text NOT NULL,
	`batch_id` text NOT NULL,
	`status` text NOT NULL,
	`latency_bucket` integer NOT NULL,
	`messages` integer NOT NULL,
	`segments` integer NOT NULL,
	`cost` integer NOT NULL,
	`sent` integer NOT NULL,
	PRIMARY KEY(`tenant_id`, `mode`, `hour`, `status`, `latency_bucket`, `country`, `type`, `carrier`, `template_id`, `batch_id`)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE INDEX `message_stats_hour_idx` ON `message_stats` (`hour`);--> statement-breakpoint
-- The rollup is kept by triggers, so that every write of a message (one insert, a JSON bulk insert, a
-- transition, a bulk cancel, a refund) updates it in the same statement: it always equals a scan.
-- A change takes the row's old contribution out and puts its new one in. Latency edges: src/domain/stats.ts.
-- message_stats is WITHOUT ROWID (drizzle-kit cannot say so): its key is the table, so a report's range scan is sequential.
CREATE TRIGGER message_stats_insert AFTER INSERT ON messages BEGIN
  INSERT INTO message_stats (tenant_id, mode, hour, status, latency_bucket, country, type, carrier, template_id, batch_id, messages, segments, cost, sent)
    VALUES (NEW.tenant_id, NEW.mode, NEW.created_at / 3600000, NEW.status,
      CASE WHEN NEW.status <> 'delivered' THEN -1
      WHEN NEW.updated_at - max(NEW.created_at, coalesce(NEW.send_at, 0)) <= 1000 THEN 0
      WHEN NEW.updated_at - max(NEW.created_at, coalesce(NEW.send_at, 0)) <= 2000 THEN 1
      WHEN NEW.updated_at - max(NEW.created_at, coalesce(NEW.send_at, 0)) <= 3000 THEN 2
      WHEN NEW.updated_at - max(NEW.created_at, coalesce(NEW.send_at, 0)) <= 5000 THEN 3
      WHEN NEW.updated_at - max(NEW.created_at, coalesce(NEW.send_at, 0)) <= 10000 THEN 4
      WHEN NEW.updated_at - max(NEW.created_at, coalesce(NEW.send_at, 0)) <= 15000 THEN 5
      WHEN NEW.updated_at - max(NEW.created_at, coalesce(NEW.send_at, 0)) <= 30000 THEN 6
      WHEN NEW.updated_at - max(NEW.created_at, coalesce(NEW.send_at, 0)) <= 60000 THEN 7
      WHEN NEW.updated_at - max(NEW.created_at, coalesce(NEW.send_at, 0)) <= 120000 THEN 8
      WHEN NEW.updated_at - max(NEW.created_at, coalesce(NEW.send_at, 0)) <= 300000 THEN 9
      WHEN NEW.updated_at - max(NEW.created_at, coalesce(NEW.send_at, 0)) <= 600000 THEN 10
      WHEN NEW.updated_at - max(NEW.created_at, coalesce(NEW.send_at, 0)) <= 1800000 THEN 11
      WHEN NEW.updated_at - max(NEW.created_at, coalesce(NEW.send_at, 0)) <= 3600000 THEN 12
      WHEN NEW.updated_at - max(NEW.created_at, coalesce(NEW.send_at, 0)) <= 7200000 THEN 13
      WHEN NEW.updated_at - max(NEW.created_at, coalesce(NEW.send_at, 0)) <= 21600000 THEN 14
      WHEN NEW.updated_at - max(NEW.created_at, coalesce(NEW.send_at, 0)) <= 86400000 THEN 15
      WHEN NEW.updated_at - max(NEW.created_at, coalesce(NEW.send_at, 0)) <= 259200000 THEN 16
      ELSE 17 END,
      coalesce(NEW.country, ''), NEW.type, NEW.carrier, coalesce(NEW.template_id, ''), coalesce(NEW.batch_id, ''),
      1, 1 * NEW.segments, 1 * (CASE WHEN NEW.refunded_at IS NULL THEN NEW.price ELSE 0 END), 1 * (NEW.submitted_at IS NOT NULL))
    ON CONFLICT (tenant_id, mode, hour, status, latency_bucket, country, type, carrier, template_id, batch_id) DO UPDATE SET
      messages = messages + excluded.messages, segments = segments + excluded.segments,
      cost = cost + excluded.cost, sent = sent + excluded.sent;
END;--> statement-breakpoint
CREATE TRIGGER message_stats_update AFTER UPDATE ON messages
  WHEN OLD.status IS NOT NEW.status OR OLD.carrier IS NOT NEW.carrier OR OLD.segments IS NOT NEW.segments OR OLD.price IS NOT NEW.price OR OLD.refunded_at IS NOT NEW.refunded_at OR OLD.submitted_at IS NOT NEW.submitted_at OR OLD.country IS NOT NEW.country OR OLD.type IS NOT NEW.type OR OLD.template_id IS NOT NEW.template_id OR OLD.batch_id IS NOT NEW.batch_id OR OLD.created_at IS NOT NEW.created_at OR OLD.tenant_id IS NOT NEW.tenant_id OR OLD.mode IS NOT NEW.mode
    OR (NEW.status = 'delivered' AND (OLD.updated_at IS NOT NEW.updated_at OR OLD.send_at IS NOT NEW.send_at))
BEGIN
  INSERT INTO message_stats (tenant_id, mode, hour, status, latency_bucket, country, type, carrier, template_id, batch_id, messages, segments, cost, sent)
    VALUES (OLD.tenant_id, OLD.mode, OLD.created_at / 3600000, OLD.status,
      CASE WHEN OLD.status <> 'delivered' THEN -1
      WHEN OLD.updated_at - max(OLD.created_at, coalesce(OLD.send_at, 0)) <= 1000 THEN 0
      WHEN OLD.updated_at - max(OLD.created_at, coalesce(OLD.send_at, 0)) <= 2000 THEN 1
      WHEN OLD.updated_at - max(OLD.created_at, coalesce(OLD.send_at, 0)) <= 3000 THEN 2
      WHEN OLD.updated_at - max(OLD.created_at, coalesce(OLD.send_at, 0)) <= 5000 THEN 3
      WHEN OLD.updated_at - max(OLD.created_at, coalesce(OLD.send_at, 0)) <= 10000 THEN 4
      WHEN OLD.updated_at - max(OLD.created_at, coalesce(OLD.send_at, 0)) <= 15000 THEN 5
      WHEN OLD.updated_at - max(OLD.created_at, coalesce(OLD.send_at, 0)) <= 30000 THEN 6
      WHEN OLD.updated_at - max(OLD.created_at, coalesce(OLD.send_at, 0)) <= 60000 THEN 7
      WHEN OLD.updated_at - max(OLD.created_at, coalesce(OLD.send_at, 0)) <= 120000 THEN 8
      WHEN OLD.updated_at - max(OLD.created_at, coalesce(OLD.send_at, 0)) <= 300000 THEN 9
      WHEN OLD.updated_at - max(OLD.created_at, coalesce(OLD.send_at, 0)) <= 600000 THEN 10
      WHEN OLD.updated_at - max(OLD.created_at, coalesce(OLD.send_at, 0)) <= 1800000 THEN 11
      WHEN OLD.updated_at - max(OLD.created_at, coalesce(OLD.send_at, 0)) <= 3600000 THEN 12
      WHEN OLD.updated_at - max(OLD.created_at, coalesce(OLD.send_at, 0)) <= 7200000 THEN 13
      WHEN OLD.updated_at - max(OLD.created_at, coalesce(OLD.send_at, 0)) <= 21600000 THEN 14
      WHEN OLD.updated_at - max(OLD.created_at, coalesce(OLD.send_at, 0)) <= 86400000 THEN 15
      WHEN OLD.updated_at - max(OLD.created_at, coalesce(OLD.send_at, 0)) <= 259200000 THEN 16
      ELSE 17 END,
      coalesce(OLD.country, ''), OLD.type, OLD.carrier, coalesce(OLD.template_id, ''), coalesce(OLD.batch_id, ''),
      -1, -1 * OLD.segments, -1 * (CASE WHEN OLD.refunded_at IS NULL THEN OLD.price ELSE 0 END), -1 * (OLD.submitted_at IS NOT NULL))
    ON CONFLICT (tenant_id, mode, hour, status, latency_bucket, country, type, carrier, template_id, batch_id) DO UPDATE SET
      messages = messages + excluded.messages, segments = segments + excluded.segments,
      cost = cost + excluded.cost, sent = sent + excluded.sent;
  INSERT INTO message_stats (tenant_id, mode, hour, status, latency_bucket, country, type, carrier, template_id, batch_id, messages, segments, cost, sent)
    VALUES (NEW.tenant_id, NEW.mode, NEW.created_at / 3600000, NEW.status,
      CASE WHEN NEW.status <> 'delivered' THEN -1
      WHEN NEW.updated_at - max(NEW.created_at, coalesce(NEW.send_at, 0)) <= 1000 THEN 0
      WHEN NEW.updated_at - max(NEW.created_at, coalesce(NEW.send_at, 0)) <= 2000 THEN 1
      WHEN NEW.updated_at - max(NEW.created_at, coalesce(NEW.send_at, 0)) <= 3000 THEN 2
      WHEN NEW.updated_at - max(NEW.created_at, coalesce(NEW.send_at, 0)) <= 5000 THEN 3
      WHEN NEW.updated_at - max(NEW.created_at, coalesce(NEW.send_at, 0)) <= 10000 THEN 4
      WHEN NEW.updated_at - max(NEW.created_at, coalesce(NEW.send_at, 0)) <= 15000 THEN 5
      WHEN NEW.updated_at - max(NEW.created_at, coalesce(NEW.send_at, 0)) <= 30000 THEN 6
      WHEN NEW.updated_at - max(NEW.created_at, coalesce(NEW.send_at, 0)) <= 60000 THEN 7
      WHEN NEW.updated_at - max(NEW.created_at, coalesce(NEW.send_at, 0)) <= 120000 THEN 8
      WHEN NEW.updated_at - max(NEW.created_at, coalesce(NEW.send_at, 0)) <= 300000 THEN 9
      WHEN NEW.updated_at - max(NEW.created_at, coalesce(NEW.send_at, 0)) <= 600000 THEN 10
      WHEN NEW.updated_at - max(NEW.created_at, coalesce(NEW.send_at, 0)) <= 1800000 THEN 11
      WHEN NEW.updated_at - max(NEW.created_at, coalesce(NEW.send_at, 0)) <= 3600000 THEN 12
      WHEN NEW.updated_at - max(NEW.created_at, coalesce(NEW.send_at, 0)) <= 7200000 THEN 13
      WHEN NEW.updated_at - max(NEW.created_at, coalesce(NEW.send_at, 0)) <= 21600000 THEN 14
      WHEN NEW.updated_at - max(NEW.created_at, coalesce(NEW.send_at, 0)) <= 86400000 THEN 15
      WHEN NEW.updated_at - max(NEW.created_at, coalesce(NEW.send_at, 0)) <= 259200000 THEN 16
      ELSE 17 END,
      coalesce(NEW.country, ''), NEW.type, NEW.carrier, coalesce(NEW.template_id, ''), coalesce(NEW.batch_id, ''),
      1, 1 * NEW.segments, 1 * (CASE WHEN NEW.refunded_at IS NULL THEN NEW.price ELSE 0 END), 1 * (NEW.submitted_at IS NOT NULL))
    ON CONFLICT (tenant_id, mode, hour, status, latency_bucket, country, type, carrier, template_id, batch_id) DO UPDATE SET
      messages = messages + excluded.messages, segments = segments + excluded.segments,
      cost = cost + excluded.cost, sent = sent + excluded.sent;
END;--> statement-breakpoint
CREATE TRIGGER message_stats_delete AFTER DELETE ON messages BEGIN
  INSERT INTO message_stats (tenant_id, mode, hour, status, latency_bucket, country, type, carrier, template_id, batch_id, messages, segments, cost, sent)
    VALUES (OLD.tenant_id, OLD.mode, OLD.created_at / 3600000, OLD.status,
      CASE WHEN OLD.status <> 'delivered' THEN -1
      WHEN OLD.updated_at - max(OLD.created_at, coalesce(OLD.send_at, 0)) <= 1000 THEN 0
      WHEN OLD.updated_at - max(OLD.created_at, coalesce(OLD.send_at, 0)) <= 2000 THEN 1
      WHEN OLD.updated_at - max(OLD.created_at, coalesce(OLD.send_at, 0)) <= 3000 THEN 2
      WHEN OLD.updated_at - max(OLD.created_at, coalesce(OLD.send_at, 0)) <= 5000 THEN 3
      WHEN OLD.updated_at - max(OLD.created_at, coalesce(OLD.send_at, 0)) <= 10000 THEN 4
      WHEN OLD.updated_at - max(OLD.created_at, coalesce(OLD.send_at, 0)) <= 15000 THEN 5
      WHEN OLD.updated_at - max(OLD.created_at, coalesce(OLD.send_at, 0)) <= 30000 THEN 6
      WHEN OLD.updated_at - max(OLD.created_at, coalesce(OLD.send_at, 0)) <= 60000 THEN 7
      WHEN OLD.updated_at - max(OLD.created_at, coalesce(OLD.send_at, 0)) <= 120000 THEN 8
      WHEN OLD.updated_at - max(OLD.created_at, coalesce(OLD.send_at, 0)) <= 300000 THEN 9
      WHEN OLD.updated_at - max(OLD.created_at, coalesce(OLD.send_at, 0)) <= 600000 THEN 10
      WHEN OLD.updated_at - max(OLD.created_at, coalesce(OLD.send_at, 0)) <= 1800000 THEN 11
      WHEN OLD.updated_at - max(OLD.created_at, coalesce(OLD.send_at, 0)) <= 3600000 THEN 12
      WHEN OLD.updated_at - max(OLD.created_at, coalesce(OLD.send_at, 0)) <= 7200000 THEN 13
      WHEN OLD.updated_at - max(OLD.created_at, coalesce(OLD.send_at, 0)) <= 21600000 THEN 14
      WHEN OLD.updated_at - max(OLD.created_at, coalesce(OLD.send_at, 0)) <= 86400000 THEN 15
      WHEN OLD.updated_at - max(OLD.created_at, coalesce(OLD.send_at, 0)) <= 259200000 THEN 16
      ELSE 17 END,
      coalesce(OLD.country, ''), OLD.type, OLD.carrier, coalesce(OLD.template_id, ''), coalesce(OLD.batch_id, ''),
      -1, -1 * OLD.segments, -1 * (CASE WHEN OLD.refunded_at IS NULL THEN OLD.price ELSE 0 END), -1 * (OLD.submitted_at IS NOT NULL))
    ON CONFLICT (tenant_id, mode, hour, status, latency_bucket, country, type, carrier, template_id, batch_id) DO UPDATE SET
      messages = messages + excluded.messages, segments = segments + excluded.segments,
      cost = cost + excluded.cost, sent = sent + excluded.sent;
END;--> statement-breakpoint
-- Messages accepted before this migration.
INSERT INTO message_stats (tenant_id, mode, hour, status, latency_bucket, country, type, carrier, template_id, batch_id, messages, segments, cost, sent)
  SELECT m.tenant_id, m.mode, m.created_at / 3600000, m.status,
      CASE WHEN m.status <> 'delivered' THEN -1
      WHEN m.updated_at - max(m.created_at, coalesce(m.send_at, 0)) <= 1000 THEN 0
      WHEN m.updated_at - max(m.created_at, coalesce(m.send_at, 0)) <= 2000 THEN 1
      WHEN m.updated_at - max(m.created_at, coalesce(m.send_at, 0)) <= 3000 THEN 2
      WHEN m.updated_at - max(m.created_at, coalesce(m.send_at, 0)) <= 5000 THEN 3
      WHEN m.updated_at - max(m.created_at, coalesce(m.send_at, 0)) <= 10000 THEN 4
      WHEN m.updated_at - max(m.created_at, coalesce(m.send_at, 0)) <= 15000 THEN 5
      WHEN m.updated_at - max(m.created_at, coalesce(m.send_at, 0)) <= 30000 THEN 6
      WHEN m.updated_at - max(m.created_at, coalesce(m.send_at, 0)) <= 60000 THEN 7
      WHEN m.updated_at - max(m.created_at, coalesce(m.send_at, 0)) <= 120000 THEN 8
      WHEN m.updated_at - max(m.created_at, coalesce(m.send_at, 0)) <= 300000 THEN 9
      WHEN m.updated_at - max(m.created_at, coalesce(m.send_at, 0)) <= 600000 THEN 10
      WHEN m.updated_at - max(m.created_at, coalesce(m.send_at, 0)) <= 1800000 THEN 11
      WHEN m.updated_at - max(m.created_at, coalesce(m.send_at, 0)) <= 3600000 THEN 12
      WHEN m.updated_at - max(m.created_at, coalesce(m.send_at, 0)) <= 7200000 THEN 13
      WHEN m.updated_at - max(m.created_at, coalesce(m.send_at, 0)) <= 21600000 THEN 14
      WHEN m.updated_at - max(m.created_at, coalesce(m.send_at, 0)) <= 86400000 THEN 15
      WHEN m.updated_at - max(m.created_at, coalesce(m.send_at, 0)) <= 259200000 THEN 16
      ELSE 17 END,
      coalesce(m.country, ''), m.type, m.carrier, coalesce(m.template_id, ''), coalesce(m.batch_id, ''),
    count(*), sum(m.segments), sum(CASE WHEN m.refunded_at IS NULL THEN m.price ELSE 0 END), sum(m.submitted_at IS NOT NULL)
  FROM messages m GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10;
