import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { KEY_MODES } from "../domain/api-key";
import { ENCODINGS } from "../domain/encoding";
import { MESSAGE_STATUSES, MESSAGE_TYPES } from "../domain/message-status";

// Timestamps are Unix milliseconds; ids are prefixed ULIDs (src/lib/ids.ts).

export const tenants = sqliteTable("tenants", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  // Metered tenants (all, unless an operator says otherwise) go through their TenantMeter on every send.
  metered: integer("metered", { mode: "boolean" }).notNull().default(true),
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
    createdAt: integer("created_at").notNull(),
    revokedAt: integer("revoked_at"),
  },
  (t) => [
    // Every authenticated request looks its key up by hash.
    uniqueIndex("api_keys_hash_idx").on(t.hash),
    index("api_keys_tenant_idx").on(t.tenantId, t.id),
  ],
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
    // What the message reserved from the balance, in micro-units (0 for test keys), and when it was refunded.
    price: integer("price").notNull().default(0),
    currency: text("currency").notNull().default("USD"),
    refundedAt: integer("refunded_at"),
    // Carrier submissions tried so far; the retry limit counts these, not queue deliveries.
    attempts: integer("attempts").notNull().default(0),
    // Bumped by every status change; the event of that change is stored under this number.
    version: integer("version").notNull().default(1),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    // Newest-first listing per tenant (ids sort by time), optionally filtered.
    index("messages_tenant_idx").on(t.tenantId, t.id),
    index("messages_tenant_status_idx").on(t.tenantId, t.status, t.id),
    index("messages_tenant_to_idx").on(t.tenantId, t.to, t.id),
    // Receipts find their message by the carrier's id.
    index("messages_carrier_id_idx").on(t.carrier, t.carrierMessageId),
    // The sweeper looks for messages stuck in one status.
    index("messages_status_updated_idx").on(t.status, t.updatedAt),
    // The sweeper finds failed, charged, never-submitted messages whose refund is not yet recorded.
    index("messages_refund_due_idx")
      .on(t.updatedAt)
      .where(sql`status = 'failed' AND price > 0 AND carrier_message_id IS NULL AND refunded_at IS NULL`),
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
  },
  (t) => [primaryKey({ columns: [t.messageId, t.seq] })],
);

// The operator's price list: micro-units per segment, by destination country; `default` for the rest.
export const prices = sqliteTable("prices", {
  country: text("country").primaryKey(),
  unitPrice: integer("unit_price").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

// The simulator carrier's own records: what a real carrier would hold on its side.
export const simulatorSubmissions = sqliteTable("simulator_submissions", {
  id: text("id").primaryKey(),
  to: text("to").notNull(),
  body: text("body").notNull(),
  outcome: text("outcome").notNull(),
  createdAt: integer("created_at").notNull(),
});

export type TenantRow = typeof tenants.$inferSelect;
export type ApiKeyRow = typeof apiKeys.$inferSelect;
export type MessageRow = typeof messages.$inferSelect;
export type MessageEventRow = typeof messageEvents.$inferSelect;
export type PriceRow = typeof prices.$inferSelect;
