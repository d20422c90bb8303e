CREATE TABLE `content_policies` (
	`scope` text PRIMARY KEY NOT NULL,
	`rules` text NOT NULL,
	`allowed_domains` text NOT NULL,
	`enforce_allowed_domains` integer DEFAULT false NOT NULL,
	`allow_url_shorteners` integer DEFAULT false NOT NULL,
	`opt_out_suffix` text,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `senders` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`kind` text NOT NULL,
	`value` text NOT NULL,
	`status` text NOT NULL,
	`reasons` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`deleted_at` integer,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `senders_tenant_idx` ON `senders` (`tenant_id`,`id`);--> statement-breakpoint
CREATE INDEX `senders_tenant_value_idx` ON `senders` (`tenant_id`,`value`);--> statement-breakpoint
CREATE INDEX `senders_review_idx` ON `senders` (`status`,`updated_at`,`id`);--> statement-breakpoint
CREATE TABLE `template_versions` (
	`template_id` text NOT NULL,
	`version` integer NOT NULL,
	`body` text NOT NULL,
	`params` text NOT NULL,
	`status` text NOT NULL,
	`reasons` text,
	`created_at` integer NOT NULL,
	`reviewed_at` integer,
	PRIMARY KEY(`template_id`, `version`),
	FOREIGN KEY (`template_id`) REFERENCES `templates`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `templates` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`name` text NOT NULL,
	`type` text NOT NULL,
	`description` text,
	`status` text NOT NULL,
	`latest_version` integer NOT NULL,
	`approved_version` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`deleted_at` integer,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `templates_tenant_idx` ON `templates` (`tenant_id`,`id`);--> statement-breakpoint
CREATE INDEX `templates_review_idx` ON `templates` (`status`,`updated_at`,`id`);--> statement-breakpoint
ALTER TABLE `messages` ADD `template_id` text;--> statement-breakpoint
ALTER TABLE `messages` ADD `template_version` integer;--> statement-breakpoint
ALTER TABLE `tenants` ADD `default_sender_id` text;