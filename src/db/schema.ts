import { sql } from "drizzle-orm";
import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { KEY_MODES } from "../domain/api-key";
import { ENCODINGS } from "../domain/encoding";
import type { ContentRule } from "../domain/content-policy";
import { MESSAGE_STATUSES, MESSAGE_TYPES } from "../domain/message-status";
import { PART_STATUSES, RECEIPT_RESULTS } from "../domain/receipts";
import type { RouteEntry } from "../domain/routing";
import { DELIVERY_STATUSES, WEBHOOK_EVENT_TYPES, type WebhookEventType } from "../domain/webhooks";
import { BATCH_STATUSES } from "../domain/batches";
import { KEYWORD_ACTIONS, type KeywordSettings } from "../domain/keywords";
import type { QuietHours } from "../domain/quiet-hours";
import { SENDER_KINDS } from "../domain/senders";
import { TEMPLATE_STATUSES, type ParamDeclarations } from "../domain/templates";
import { ALERT_KINDS, ALERT_STATES } from "../domain/alerts";
import type { Scope } from "../domain/scopes";
import { COMPAT_APIS } from "../domain/compat/apis";

// Timestamps are Unix milliseconds; ids are prefixed ULIDs (src/lib/ids.ts).

export const tenants = sqliteTable("tenants", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  // Metered tenants (all, unless an operator says otherwise) go through their TenantMeter on every send.
  metered: integer("metered", { mode: "boolean" }).notNull().default(true),
  // A new tenant's live keys may send only to its allow list until an operator lifts this.
  sandbox: integer("sandbox", { mode: "boolean" }).notNull().default(true),
  // Used as `from` when a message names none.
  defaultSenderId: text("default_sender_id"),
  // JSON: the tenant's reply keywords and auto-replies; null means the defaults (src/domain/keywords.ts).
  keywords: text("keywords", { mode: "json" }).$type<KeywordSettings>(),
  // JSON: when marketing is held for the recipient's night; null means the defaults (src/domain/quiet-hours.ts).
  quietHours: text("quiet_hours", { mode: "json" }).$type<QuietHours>(),
  // Signs the status callbacks of messages sent with a `callback_url` (whsec_…); made on first use.
  callbackSecret: text("callback_secret"),
  // The shard database (a D1 binding in wrangler.toml) that holds everything the tenant owns; set once at
  // creation. Tenants from before sharding stay where their data is: the control database, "DB".
  shard: text("shard").notNull().default("DB"),
  // Final messages (and everything hung on them) are deleted this many days after their last change.
  retentionDays: integer("retention_days").notNull().default(90),
  createdAt: integer("created_at").notNull(),
});

export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull().references(() => tenants.id),
    mode: text("mode", { enum: KEY_MODES }).notNull(),
    // First characters of the key, safe to show ("sk_test_4fT9…"); the key itself is never stored.
    prefix: text("prefix").notNull(),
    hash: text("hash").notNull(),
    // A restricted key's scopes (src/domain/scopes.ts); null: full access to its mode.
    scopes: text("scopes", { mode: "json" }).$type<Scope[]>(),
    createdAt: integer("created_at").notNull(),
    revokedAt: integer("revoked_at"),
  },
  (t) => [
    // Every authenticated request looks its key up by hash.
    uniqueIndex("api_keys_hash_idx").on(t.hash),
    index("api_keys_tenant_idx").on(t.tenantId, t.id),
  ],
);

/**
 * Credentials of the compatible APIs (src/routes/2010-04-01, src/routes/dysmsapi): a Twilio Account SID
 * and auth token, or an Alibaba AccessKey ID and secret, each standing for one API key (its tenant, mode and
 * scopes). The secret is kept as a hash (what authenticates) and encrypted (Twilio's callbacks and
 * Alibaba's signatures are HMACs keyed with it, so it must be readable).
 */
export const compatCredentials = sqliteTable(
  "compat_credentials",
  {
    id: text("id").primaryKey(),
    api: text("api", { enum: COMPAT_APIS }).notNull(),
    tenantId: text("tenant_id").notNull().references(() => tenants.id),
    keyId: text("key_id").notNull().references(() => apiKeys.id),
    secretHash: text("secret_hash").notNull(),
    secret: text("secret").notNull(),
    // Alibaba: where delivery reports (SmsReport) are pushed; null: none.
    reportUrl: text("report_url"),
    createdAt: integer("created_at").notNull(),
    revokedAt: integer("revoked_at"),
  },
  (t) => [index("compat_credentials_key_idx").on(t.keyId), index("compat_credentials_tenant_idx").on(t.tenantId, t.id)],
);

export const messages = sqliteTable(
  "messages",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull().references(() => tenants.id),
    mode: text("mode", { enum: KEY_MODES }).notNull(),
    to: text("to").notNull(),
    country: text("country"),
    from: text("from"),
    type: text("type", { enum: MESSAGE_TYPES }).notNull(),
    body: text("body").notNull(),
    status: text("status", { enum: MESSAGE_STATUSES }).notNull(),
    encoding: text("encoding", { enum: ENCODINGS }).notNull(),
    segments: integer("segments").notNull(),
    carrier: text("carrier").notNull(),
    carrierMessageId: text("carrier_message_id"),
    errorCode: text("error_code"),
    errorMessage: text("error_message"),
    reference: text("reference"),
    // The template and the version of it that was rendered, for messages sent from one.
    templateId: text("template_id"),
    templateVersion: integer("template_version"),
    // What the message reserved from the balance, in micro-units (0 for test keys), and when it was refunded.
    price: integer("price").notNull().default(0),
    currency: text("currency").notNull().default("USD"),
    refundedAt: integer("refunded_at"),
    // Carrier submissions tried so far; the retry limit counts these, not queue deliveries.
    attempts: integer("attempts").notNull().default(0),
    // When a `scheduled` message is due (asked for, or held for quiet hours); null for one sent at once.
    sendAt: integer("send_at"),
    // The batch it was expanded from, if any.
    batchId: text("batch_id"),
    // Parts the carrier reported separately (one id and one receipt each), and how many of them were delivered.
    parts: integer("parts"),
    partsDelivered: integer("parts_delivered").notNull().default(0),
    // Where this message's status events are posted, besides the tenant's endpoints.
    callbackUrl: text("callback_url"),
    // The shape of those posts: null for ours (Standard Webhooks JSON), or the compatible API the message
    // came through ("twilio": a signed StatusCallback form; "alibaba": an SmsReport array).
    callbackFormat: text("callback_format", { enum: COMPAT_APIS }),
    // The compatible-API credential it was sent with (an Account SID or AccessKey ID): it signs the callbacks.
    credentialId: text("credential_id"),
    // Twilio's ValidityPeriod: not handed to a carrier after this, it fails instead.
    validUntil: integer("valid_until"),
    // When a carrier accepted it; `sent` this long ago with no final receipt makes it `expired`.
    submittedAt: integer("submitted_at"),
    // Set by the claiming consumer right before it hands the message to a carrier (a wave at a time). A message
    // `sending` without it was never handed over: it is claimed again or requeued, never taken for sent.
    handedAt: integer("handed_at"),
    // Bumped by every status change; the event of that change is stored under this number.
    version: integer("version").notNull().default(1),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    // Newest-first listing per tenant and key mode (ids sort by time), optionally filtered: the mode leads, so a
    // test key's listing never walks the live history (test/db/query-plans.test.ts holds every filter to an index).
    index("messages_tenant_mode_idx").on(t.tenantId, t.mode, t.id),
    index("messages_tenant_mode_status_idx").on(t.tenantId, t.mode, t.status, t.id),
    index("messages_tenant_mode_from_idx").on(t.tenantId, t.mode, t.from, t.id),
    index("messages_tenant_mode_to_idx").on(t.tenantId, t.mode, t.to, t.id),
    // The cron expires messages left `sent` with no final receipt.
    index("messages_awaiting_receipt_idx").on(t.submittedAt).where(sql`status = 'sent'`),
    // The sweeper looks for messages stuck in one status.
    index("messages_status_updated_idx").on(t.status, t.updatedAt),
    // The sweeper finds failed or canceled, charged, never-submitted messages whose refund is not yet recorded.
    index("messages_refund_owed_idx")
      .on(t.updatedAt)
      .where(sql`status IN ('failed', 'canceled') AND price > 0 AND carrier_message_id IS NULL AND refunded_at IS NULL`),
    // The cron dispatches what is due, oldest first.
    index("messages_due_idx").on(t.sendAt).where(sql`status = 'scheduled'`),
    // A batch's counters per status and its message pages; only batch messages pay for these.
    index("messages_batch_status_idx").on(t.batchId, t.status, t.id).where(sql`batch_id IS NOT NULL`),
    index("messages_batch_idx").on(t.batchId, t.id).where(sql`batch_id IS NOT NULL`),
  ],
);

export const messageEvents = sqliteTable(
  "message_events",
  {
    messageId: text("message_id").notNull().references(() => messages.id),
    // The message's version after the change: at most one event per change, however often it is retried.
    seq: integer("seq").notNull(),
    status: text("status", { enum: MESSAGE_STATUSES }).notNull(),
    at: integer("at").notNull(),
    detail: text("detail"),
    // The carrier receipt that caused this change, if one did (its raw payload is in carrier_receipts).
    receiptId: text("receipt_id"),
  },
  (t) => [primaryKey({ columns: [t.messageId, t.seq] })],
);

// Each part a carrier accepted under an id of its own (most carriers: one per message), with its receipt status.
export const messageParts = sqliteTable(
  "message_parts",
  {
    carrier: text("carrier").notNull(),
    // The carrier's id in canonical form (src/domain/carrier-ids.ts): receipts are matched on it.
    carrierKey: text("carrier_key").notNull(),
    messageId: text("message_id").notNull().references(() => messages.id),
    part: integer("part").notNull(),
    status: text("status", { enum: PART_STATUSES }).notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.carrier, t.carrierKey] }), index("message_parts_message_idx").on(t.messageId, t.part)],
);

// Every receipt a carrier posted, raw beside what we read from it. One that names no known id yet is held
// (message_id null) and applied when the submit records that id.
export const carrierReceipts = sqliteTable(
  "carrier_receipts",
  {
    id: text("id").primaryKey(),
    carrier: text("carrier").notNull(),
    carrierKey: text("carrier_key").notNull(),
    status: text("status", { enum: PART_STATUSES }),
    errorCode: text("error_code"),
    // The carrier's own status and time, as it wrote them (carriers' dates often carry no zone).
    carrierStatus: text("carrier_status").notNull(),
    carrierTime: text("carrier_time"),
    raw: text("raw").notNull(),
    messageId: text("message_id"),
    result: text("result", { enum: RECEIPT_RESULTS }).notNull(),
    receivedAt: integer("received_at").notNull(),
    // Our message id, where the carrier echoes it, and the carrier's id as it wrote it: together they settle a
    // message whose submit answer was lost.
    reference: text("reference"),
    carrierMessageId: text("carrier_message_id"),
  },
  (t) => [
    // Held receipts are looked up by the ids a submit records, and by the messages a reconciliation leaves unconfirmed.
    index("carrier_receipts_held_idx").on(t.carrier, t.carrierKey).where(sql`result = 'held'`),
    index("carrier_receipts_held_reference_idx").on(t.reference).where(sql`result = 'held'`),
    index("carrier_receipts_message_idx").on(t.messageId),
  ],
);

// The operator's routes: per destination country (`default` for the rest), carriers in failover order.
export const routes = sqliteTable("routes", {
  country: text("country").primaryKey(),
  carriers: text("carriers", { mode: "json" }).$type<RouteEntry[]>().notNull(),
  updatedAt: integer("updated_at").notNull(),
});

// Per-carrier circuit breaker: consecutive transient failures, and until when the carrier is skipped.
export const carrierHealth = sqliteTable("carrier_health", {
  carrier: text("carrier").primaryKey(),
  failures: integer("failures").notNull().default(0),
  openUntil: integer("open_until"),
  // While half-open, when the one probe allowed through was claimed.
  probeAt: integer("probe_at"),
  updatedAt: integer("updated_at").notNull(),
});

export const templates = sqliteTable(
  "templates",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull().references(() => tenants.id),
    name: text("name").notNull(),
    type: text("type", { enum: MESSAGE_TYPES }).notNull(),
    description: text("description"),
    // The latest version and its review status; the version that serves live sends is `approved_version`.
    status: text("status", { enum: TEMPLATE_STATUSES }).notNull(),
    latestVersion: integer("latest_version").notNull(),
    approvedVersion: integer("approved_version"),
    createdAt: integer("created_at").notNull(),
    // When the latest version was submitted: the review queue's order.
    updatedAt: integer("updated_at").notNull(),
    deletedAt: integer("deleted_at"),
  },
  (t) => [index("templates_tenant_idx").on(t.tenantId, t.id), index("templates_review_idx").on(t.status, t.updatedAt, t.id)],
);

export const templateVersions = sqliteTable(
  "template_versions",
  {
    templateId: text("template_id").notNull().references(() => templates.id),
    version: integer("version").notNull(),
    body: text("body").notNull(),
    // JSON: the declared parameters, { name: { max_length } }.
    params: text("params", { mode: "json" }).$type<ParamDeclarations>().notNull(),
    status: text("status", { enum: TEMPLATE_STATUSES }).notNull(),
    // JSON: why it was rejected, every reason.
    reasons: text("reasons", { mode: "json" }).$type<string[]>(),
    createdAt: integer("created_at").notNull(),
    reviewedAt: integer("reviewed_at"),
  },
  (t) => [primaryKey({ columns: [t.templateId, t.version] })],
);

export const senders = sqliteTable(
  "senders",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull().references(() => tenants.id),
    kind: text("kind", { enum: SENDER_KINDS }).notNull(),
    value: text("value").notNull(),
    status: text("status", { enum: TEMPLATE_STATUSES }).notNull(),
    reasons: text("reasons", { mode: "json" }).$type<string[]>(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    deletedAt: integer("deleted_at"),
  },
  (t) => [
    index("senders_tenant_idx").on(t.tenantId, t.id),
    // A message's `from` is looked up by value.
    index("senders_tenant_value_idx").on(t.tenantId, t.value),
    index("senders_review_idx").on(t.status, t.updatedAt, t.id),
  ],
);

// Content rules, link policy and opt-out suffix: one row for the platform (scope `platform`) and one per tenant.
export const contentPolicies = sqliteTable("content_policies", {
  scope: text("scope").primaryKey(),
  rules: text("rules", { mode: "json" }).$type<ContentRule[]>().notNull(),
  allowedDomains: text("allowed_domains", { mode: "json" }).$type<string[]>().notNull(),
  enforceAllowedDomains: integer("enforce_allowed_domains", { mode: "boolean" }).notNull().default(false),
  allowUrlShorteners: integer("allow_url_shorteners", { mode: "boolean" }).notNull().default(false),
  optOutSuffix: text("opt_out_suffix"),
  updatedAt: integer("updated_at").notNull(),
});

// Numbers the operator assigned to a tenant: an inbound message's destination names its tenant.
export const tenantNumbers = sqliteTable("tenant_numbers", {
  number: text("number").primaryKey(),
  tenantId: text("tenant_id").notNull().references(() => tenants.id),
  createdAt: integer("created_at").notNull(),
});

export const inboundMessages = sqliteTable(
  "inbound_messages",
  {
    id: text("id").primaryKey(),
    // Null when the destination is no tenant's number: recorded, not refused.
    tenantId: text("tenant_id"),
    carrier: text("carrier").notNull(),
    // The carrier's delivery id (Standard Webhooks `webhook-id`): a redelivered webhook is recorded once.
    webhookId: text("webhook_id").notNull(),
    from: text("from").notNull(),
    to: text("to").notNull(),
    text: text("text").notNull(),
    // What the reply did: opt_out, opt_in, help, or nothing.
    action: text("action", { enum: KEYWORD_ACTIONS }),
    // The latest message of ours to the sender, which this most likely answers.
    inReplyTo: text("in_reply_to"),
    // The carrier's payload as it came, beside what was read from it.
    payload: text("payload"),
    // Set once its action and auto-reply are done; a redelivery before then does them again.
    handledAt: integer("handled_at"),
    // Replies through the simulator are test traffic, seen by test keys; carriers' are live.
    mode: text("mode", { enum: KEY_MODES }).notNull().default("live"),
    // Taken by the one delivery of the webhook that acts on it (two concurrent redeliveries act once).
    claimedUntil: integer("claimed_until"),
    // When its auto-reply was accepted: at most one per reply, and a few a day per number.
    repliedAt: integer("replied_at"),
    receivedAt: integer("received_at").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    uniqueIndex("inbound_webhook_idx").on(t.carrier, t.webhookId),
    index("inbound_tenant_idx").on(t.tenantId, t.mode, t.id),
    index("inbound_tenant_from_idx").on(t.tenantId, t.mode, t.from, t.id),
  ],
);

export const contacts = sqliteTable(
  "contacts",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull().references(() => tenants.id),
    phone: text("phone").notNull(),
    // JSON: a flat map of strings, used as template params when sending to a group.
    attributes: text("attributes", { mode: "json" }).$type<Record<string, string>>().notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [uniqueIndex("contacts_tenant_phone_idx").on(t.tenantId, t.phone), index("contacts_tenant_idx").on(t.tenantId, t.id)],
);

export const groups = sqliteTable(
  "groups",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull().references(() => tenants.id),
    name: text("name").notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("groups_tenant_idx").on(t.tenantId, t.id)],
);

export const groupMembers = sqliteTable(
  "group_members",
  {
    groupId: text("group_id").notNull().references(() => groups.id),
    contactId: text("contact_id").notNull().references(() => contacts.id),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.groupId, t.contactId] }), index("group_members_contact_idx").on(t.contactId)],
);

export const batches = sqliteTable(
  "batches",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull().references(() => tenants.id),
    mode: text("mode", { enum: KEY_MODES }).notNull(),
    name: text("name"),
    type: text("type", { enum: MESSAGE_TYPES }).notNull(),
    // Exactly one of a template (rendered per recipient) and a free-text body.
    templateId: text("template_id"),
    body: text("body"),
    from: text("from"),
    // Exactly one of a recipient list (batch_items) and a group, read as it was when the batch was made.
    groupId: text("group_id"),
    status: text("status", { enum: BATCH_STATUSES }).notNull(),
    // Recipients in the batch: known at once for a list, counted when expansion starts for a group.
    total: integer("total"),
    // Recipients made into messages, and recipients refused (each in batch_rejects, or counted by `stop_code`).
    accepted: integer("accepted").notNull().default(0),
    rejected: integer("rejected").notNull().default(0),
    // Expansion progress: recipients read so far, and for a group the last contact id read.
    position: integer("position").notNull().default(0),
    cursor: text("cursor"),
    sendAt: integer("send_at"),
    // Why expansion stopped before the end (balance or quota ran out); the rest were rejected.
    stopCode: text("stop_code"),
    stopDetail: text("stop_detail"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    completedAt: integer("completed_at"),
    canceledAt: integer("canceled_at"),
    // Set when a canceled batch has no message left to cancel and refund.
    drainedAt: integer("drained_at"),
    // The create request's Idempotency-Key (scoped by key mode) and a hash of its body: a retry answers this batch.
    idempotencyKey: text("idempotency_key"),
    requestHash: text("request_hash"),
    // Where its messages' status events are posted, in which shape, signed by which credential (as a message's).
    callbackUrl: text("callback_url"),
    callbackFormat: text("callback_format", { enum: COMPAT_APIS }),
    credentialId: text("credential_id"),
    // An OutId (Alibaba) given to every message of the batch.
    reference: text("reference"),
  },
  (t) => [
    index("batches_tenant_mode_idx").on(t.tenantId, t.mode, t.id),
    index("batches_status_idx").on(t.status, t.updatedAt),
    uniqueIndex("batches_idempotency_idx").on(t.tenantId, t.idempotencyKey),
  ],
);

// A list batch's recipients, validated and numbered as sent; expansion reads them in order.
export const batchItems = sqliteTable(
  "batch_items",
  {
    batchId: text("batch_id").notNull().references(() => batches.id),
    idx: integer("idx").notNull(),
    to: text("to").notNull(),
    params: text("params", { mode: "json" }).$type<Record<string, string>>(),
  },
  // Erasure finds a number's places by the number, not by walking every item of the tenant's batches.
  (t) => [primaryKey({ columns: [t.batchId, t.idx] }), index("batch_items_to_idx").on(t.to, t.batchId)],
);

export const batchRejects = sqliteTable(
  "batch_rejects",
  {
    batchId: text("batch_id").notNull().references(() => batches.id),
    // The recipient's position: its index in the list, or its place in the group's expansion order.
    idx: integer("idx").notNull(),
    to: text("to").notNull(),
    contactId: text("contact_id"),
    code: text("code").notNull(),
    detail: text("detail").notNull(),
  },
  (t) => [primaryKey({ columns: [t.batchId, t.idx] }), index("batch_rejects_to_idx").on(t.to, t.batchId)],
);

// The operator's price list: micro-units per segment, by destination country; `default` for the rest.
export const prices = sqliteTable("prices", {
  country: text("country").primaryKey(),
  unitPrice: integer("unit_price").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

// The secret that signs a tenant's per-message callbacks (`callback_url`), one per key mode, so a test key never
// reads what signs live traffic; a rotation keeps the previous one signing beside it until `previous_until`.
// Control database. (tenants.callback_secret, from before, seeds the live one.)
export const callbackSecrets = sqliteTable(
  "callback_secrets",
  {
    tenantId: text("tenant_id").notNull(),
    mode: text("mode", { enum: KEY_MODES }).notNull(),
    secret: text("secret").notNull(),
    previousSecret: text("previous_secret"),
    previousUntil: integer("previous_until"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.mode] })],
);

// Jobs a queue gave up on (the receipts dead-letter queue), kept sealed for an operator to replay
// (POST /v1/admin/dead-letters/replay) and purged after DEAD_LETTER_RETENTION_DAYS. Control database only.
export const deadLetters = sqliteTable(
  "dead_letters",
  {
    id: text("id").primaryKey(),
    queue: text("queue").notNull(),
    // The job's body as JSON, sealed: a receipt carries phone numbers.
    body: text("body").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("dead_letters_queue_idx").on(t.queue, t.id), index("dead_letters_age_idx").on(t.createdAt)],
);

// The simulator carrier's own records: which of our messages it took and with what outcome, never a number
// or a body (personal data stays in the tenant's sealed rows). Purged by age with the retention cron.
export const simulatorSubmissions = sqliteTable(
  "simulator_submissions",
  {
    id: text("id").primaryKey(),
    outcome: text("outcome").notNull(),
    createdAt: integer("created_at").notNull(),
    // Our message id, as a client reference: the reconciler asks the simulator whether it took a message.
    messageId: text("message_id"),
  },
  (t) => [index("simulator_submissions_message_idx").on(t.messageId), index("simulator_submissions_age_idx").on(t.createdAt)],
);

// A tenant's webhook endpoints. The secret signs deliveries (Standard Webhooks), so it is kept, not hashed.
export const webhookEndpoints = sqliteTable(
  "webhook_endpoints",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull().references(() => tenants.id),
    url: text("url").notNull(),
    events: text("events", { mode: "json" }).$type<WebhookEventType[]>().notNull(),
    secret: text("secret").notNull(),
    // After a rotation the old secret signs too, until `previous_secret_until`.
    previousSecret: text("previous_secret"),
    previousSecretUntil: integer("previous_secret_until"),
    // The mode of the key that made it: it receives that mode's events only.
    mode: text("mode", { enum: KEY_MODES }).notNull().default("live"),
    createdAt: integer("created_at").notNull(),
    deletedAt: integer("deleted_at"),
  },
  (t) => [index("webhook_endpoints_tenant_idx").on(t.tenantId, t.id)],
);

// Every event of a tenant, in commit order (`seq`): what webhooks deliver and GET /v1/events lists.
export const events = sqliteTable(
  "events",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    id: text("id").notNull(),
    tenantId: text("tenant_id").notNull(),
    type: text("type", { enum: WEBHOOK_EVENT_TYPES }).notNull(),
    // What the event is about, once: a message's version, an inbound reply, a batch.
    source: text("source").notNull(),
    data: text("data", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    // The mode of what it is about (the message's, the batch's, the rule's, the reply's): only keys and
    // endpoints of that mode see it.
    mode: text("mode", { enum: KEY_MODES }).notNull().default("live"),
    createdAt: integer("created_at").notNull(),
    // When its deliveries were made; the cron fans out any event a crash left without them.
    fannedOutAt: integer("fanned_out_at"),
  },
  (t) => [
    uniqueIndex("events_id_idx").on(t.id),
    uniqueIndex("events_source_idx").on(t.source),
    index("events_tenant_idx").on(t.tenantId, t.mode, t.seq),
    index("events_unfanned_idx").on(t.createdAt).where(sql`fanned_out_at IS NULL`),
  ],
);

// One event to one endpoint (or to a message's callback_url, endpoint null): its tries and outcome.
export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    id: text("id").primaryKey(),
    eventId: text("event_id").notNull(),
    tenantId: text("tenant_id").notNull(),
    endpointId: text("endpoint_id"),
    url: text("url").notNull(),
    status: text("status", { enum: DELIVERY_STATUSES }).notNull(),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: integer("next_attempt_at"),
    // A try in flight holds the delivery until then, so two consumers never post it at once.
    claimedUntil: integer("claimed_until"),
    lastStatusCode: integer("last_status_code"),
    lastError: text("last_error"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    index("webhook_deliveries_due_idx").on(t.nextAttemptAt).where(sql`status = 'pending'`),
    index("webhook_deliveries_endpoint_idx").on(t.endpointId, t.id),
    index("webhook_deliveries_event_idx").on(t.eventId),
  ],
);

export const webhookAttempts = sqliteTable(
  "webhook_attempts",
  {
    deliveryId: text("delivery_id").notNull(),
    attempt: integer("attempt").notNull(),
    at: integer("at").notNull(),
    statusCode: integer("status_code"),
    latencyMs: integer("latency_ms").notNull(),
    error: text("error"),
  },
  (t) => [primaryKey({ columns: [t.deliveryId, t.attempt] })],
);

export type TenantRow = typeof tenants.$inferSelect;
export type CompatCredentialRow = typeof compatCredentials.$inferSelect;
export type ApiKeyRow = typeof apiKeys.$inferSelect;
export type MessageRow = typeof messages.$inferSelect;
export type MessageEventRow = typeof messageEvents.$inferSelect;
export type PriceRow = typeof prices.$inferSelect;
export type TemplateRow = typeof templates.$inferSelect;
export type TemplateVersionRow = typeof templateVersions.$inferSelect;
export type SenderRow = typeof senders.$inferSelect;
export type ContentPolicyRow = typeof contentPolicies.$inferSelect;
export type InboundMessageRow = typeof inboundMessages.$inferSelect;
export type ContactRow = typeof contacts.$inferSelect;
export type GroupRow = typeof groups.$inferSelect;
export type BatchRow = typeof batches.$inferSelect;
export type BatchRejectRow = typeof batchRejects.$inferSelect;
export type MessagePartRow = typeof messageParts.$inferSelect;
export type CarrierReceiptRow = typeof carrierReceipts.$inferSelect;
export type RouteRow = typeof routes.$inferSelect;
export type CarrierHealthRow = typeof carrierHealth.$inferSelect;
export type WebhookEndpointRow = typeof webhookEndpoints.$inferSelect;
export type EventRow = typeof events.$inferSelect;
export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;
export type WebhookAttemptRow = typeof webhookAttempts.$inferSelect;

/**
 * Delivery analytics: what the messages table adds up to, per tenant, key mode, hour of acceptance and
 * dimension. Kept by triggers on `messages` (migrations/0010_stats_alerts.sql) in the same statement as
 * every insert and status change, so it always equals a scan. Absent dimensions are '' (not NULL), so
 * each cell has exactly one row.
 */
export const messageStats = sqliteTable(
  "message_stats",
  {
    tenantId: text("tenant_id").notNull(),
    mode: text("mode", { enum: KEY_MODES }).notNull(),
    // Hours since the epoch of the messages' created_at.
    hour: integer("hour").notNull(),
    country: text("country").notNull(),
    type: text("type", { enum: MESSAGE_TYPES }).notNull(),
    carrier: text("carrier").notNull(),
    templateId: text("template_id").notNull(),
    batchId: text("batch_id").notNull(),
    status: text("status", { enum: MESSAGE_STATUSES }).notNull(),
    // Delivered messages: their accept-to-delivered bucket (src/domain/stats.ts LATENCY_EDGES_MS); -1 otherwise.
    latencyBucket: integer("latency_bucket").notNull(),
    messages: integer("messages").notNull(),
    segments: integer("segments").notNull(),
    // Price net of refunds, micro-units.
    cost: integer("cost").notNull(),
    // How many of them a carrier accepted.
    sent: integer("sent").notNull(),
  },
  (t) => [
    // Hour, status and latency bucket lead, so a report's inner GROUP BY reads rows in key order with no sort
    // (the migration makes the table WITHOUT ROWID, so the key is the table and its range scans are sequential).
    primaryKey({ columns: [t.tenantId, t.mode, t.hour, t.status, t.latencyBucket, t.country, t.type, t.carrier, t.templateId, t.batchId] }),
    // Operator reports read every tenant's hours.
    index("message_stats_hour_idx").on(t.hour),
  ],
);

// A tenant's alert rules, and whether each is firing: the cron evaluates them every minute.
export const alertRules = sqliteTable(
  "alert_rules",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull().references(() => tenants.id),
    // The key mode whose traffic it watches (the mode of the key that made it).
    mode: text("mode", { enum: KEY_MODES }).notNull(),
    name: text("name"),
    kind: text("kind", { enum: ALERT_KINDS }).notNull(),
    // A fraction for delivery_rate_below, a count for failed_count_above, micro-units for balance_below.
    threshold: real("threshold").notNull(),
    // Rate and count rules: the current hour and the `window_hours` before it (the rollup is hourly).
    windowHours: integer("window_hours"),
    country: text("country"),
    // delivery_rate_below: finished messages the window needs before the rate is judged.
    minMessages: integer("min_messages"),
    state: text("state", { enum: ALERT_STATES }).notNull(),
    // The measured value at the latest evaluation, and when the state last changed.
    value: real("value"),
    evaluatedAt: integer("evaluated_at"),
    changedAt: integer("changed_at"),
    // Bumped by every state change; the change's event is stored under this number (exactly once).
    version: integer("version").notNull().default(1),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("alert_rules_tenant_idx").on(t.tenantId, t.id)],
);

export type MessageStatsRow = typeof messageStats.$inferSelect;
export type AlertRuleRow = typeof alertRules.$inferSelect;
