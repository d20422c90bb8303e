import { env } from "cloudflare:workers";
import { eq, inArray } from "drizzle-orm";
import { vi } from "vitest";
import { createDb, type Db } from "../../src/db/client";
import { everyShard, shardDb, shardScope, type ShardScope } from "../../src/db/shards";
import { messageEvents, messages, simulatorSubmissions, tenants, type MessageRow } from "../../src/db/schema";
import { newId } from "../../src/lib/ids";
import { getMessage } from "./api";

/** The control database: tenants, keys, prices, routes, numbers, the simulator's records. */
export const control = createDb(env.DB);

/** The shard a tenant was placed on, as the gateway records it. */
export async function shardOf(tenantId: string): Promise<string> {
  const row = await control.query.tenants.findFirst({ columns: { shard: true }, where: eq(tenants.id, tenantId) });
  if (!row) throw new Error(`no tenant ${tenantId}`);
  return row.shard;
}

/** The database that holds a tenant's data (its shard). */
export async function dbOf(tenantId: string): Promise<Db> {
  return shardDb(env, await shardOf(tenantId));
}

/** A tenant's shard as its work sees it: the database, and queues that stamp the shard on every job. */
export async function scopeOf(tenantId: string): Promise<ShardScope> {
  return shardScope(env, await shardOf(tenantId));
}

/** The database of the shard holding the row of `table` with this id (a message, a batch). */
export async function dbHolding(table: "messages" | "batches", id: string): Promise<Db> {
  for (const scope of everyShard(env)) {
    if (await scope.db.$client.prepare(`SELECT 1 FROM ${table} WHERE id = ?`).bind(id).first()) return scope.db;
  }
  throw new Error(`no shard holds ${table} ${id}`);
}

/** The raw D1 binding of a tenant's shard, for faults injected in the database itself (triggers). */
export async function d1Of(tenantId: string): Promise<D1Database> {
  return (await dbOf(tenantId)).$client;
}

/** Every shard's handle, for reads that must see them all. */
export const shards = () => everyShard(env).map((scope) => scope.db);

// US area codes where every exchange from 200 to 999 makes a valid number, whatever the line digits (checked).
const AREA_CODES = ["415", "628", "650", "510", "408", "212", "646", "917"];
let counter = 0;
/**
 * A fresh, valid US number ending in `suffix` (the simulator's outcome digits). Sequential, not random
 * or time-based, so one test file never gets the same number twice (6,400 per suffix).
 */
export function number(suffix = "5555"): string {
  counter += 1;
  const area = AREA_CODES[Math.floor(counter / 800) % AREA_CODES.length]!;
  const exchange = String(200 + (counter % 800));
  return `+1${area}${exchange}${suffix}`;
}

/**
 * An outbox row written the way the API writes it, but with no send job: the state a message is in
 * when the enqueue after the D1 write failed.
 */
export async function insertQueuedMessage(
  tenantId: string,
  to: string,
  updatedAt = Date.now(),
  carrier = "simulator",
  fields: Partial<MessageRow> = {},
): Promise<MessageRow> {
  const row: MessageRow = {
    id: newId("message", updatedAt),
    tenantId,
    mode: "test",
    to,
    country: "US",
    from: null,
    type: "notification",
    body: "hello",
    status: "queued",
    encoding: "GSM-7",
    segments: 1,
    carrier,
    carrierMessageId: null,
    errorCode: null,
    errorMessage: null,
    reference: null,
    templateId: null,
    templateVersion: null,
    price: 0,
    currency: "USD",
    refundedAt: null,
    attempts: 0,
    sendAt: null,
    batchId: null,
    callbackUrl: null,
    callbackFormat: null,
    credentialId: null,
    validUntil: null,
    parts: null,
    partsDelivered: 0,
    submittedAt: null,
    handedAt: null,
    version: 1,
    createdAt: updatedAt,
    updatedAt,
    ...fields,
  };
  const db = await dbOf(tenantId);
  await db.batch([
    db.insert(messages).values(row),
    db.insert(messageEvents).values({ messageId: row.id, seq: 1, status: row.status, at: updatedAt, detail: null, receiptId: null }),
  ]);
  return row;
}

/** The simulator's records of the messages to `to` (it keeps our message ids and outcomes, never the number). */
export async function simulatorSubmissionsTo(to: string) {
  const ids: string[] = [];
  for (const db of shards()) ids.push(...(await db.select({ id: messages.id }).from(messages).where(eq(messages.to, to))).map((row) => row.id));
  return ids.length === 0 ? [] : control.select().from(simulatorSubmissions).where(inArray(simulatorSubmissions.messageId, ids));
}

/** Waits until the message reaches `status` through the real queues and receipts. */
export async function waitForStatus(key: string, id: string, status: string) {
  return vi.waitFor(
    async () => {
      const message = await getMessage(key, id);
      if (message.status !== status) throw new Error(`still ${message.status}, waiting for ${status}`);
      return message;
    },
    { timeout: 20_000, interval: 100 },
  );
}
