import { openEventData } from "./message-data";
import { enqueueWebhookEvents } from "../queues/jobs";
import { and, asc, eq, gt, sql, type SQL } from "drizzle-orm";
import type { Db } from "../db/client";
import { events, messages, type EventRow } from "../db/schema";
import type { MessageStatus } from "../domain/message-status";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { ApiError } from "../lib/errors";
import { log } from "../lib/log";
import type { KeyMode } from "../domain/api-key";
import type { Owner } from "../types";

/**
 * Event ids are made in SQL, where a change and its event are written in one statement batch: the time
 * (ms, 12 hex digits) then 80 random bits, so ids (and the delivery ids made from them) sort by time.
 */
export const eventIdSql = (at: SQL | SQLiteColumn | number) => sql`('evt_' || printf('%012x', ${at}) || lower(hex(randomblob(10))))`;

/**
 * A message's `message.status` payload, from its row as the status change left it: the message's id and
 * status, what it was sent to and through, its error and parts. `m` names the messages table.
 */
export function messageEventData(m: string): SQL {
  return sql.raw(`json_object(
  'message_id', ${m}.id, 'status', ${m}.status, 'to', ${m}."to", 'type', ${m}.type, 'reference', ${m}.reference, 'batch_id', ${m}.batch_id,
  'carrier', ${m}.carrier, 'carrier_message_id', ${m}.carrier_message_id,
  'error', CASE WHEN ${m}.error_code IS NULL THEN NULL ELSE json_object('code', ${m}.error_code, 'message', ${m}.error_message) END,
  'parts', CASE WHEN ${m}.parts IS NULL THEN NULL ELSE json_object('total', ${m}.parts, 'delivered', ${m}.parts_delivered) END,
  'segments', ${m}.segments, 'price', ${m}.price, 'currency', ${m}.currency,
  'updated_at', strftime('%Y-%m-%dT%H:%M:%fZ', ${m}.updated_at / 1000.0, 'unixepoch'))`);
}

/**
 * An event's `fanned_out_at` as it is written: null (to be fanned out) when some endpoint of the tenant and
 * the event's mode takes events of its type, or it concerns a message with a callback_url; otherwise already `now`, so a tenant with
 * no webhooks costs no fan-out, no webhook job and no cron catch-up. `callbackUrl` is SQL (or null).
 */
export function fanOutAt(
  tenantId: SQL | SQLiteColumn,
  mode: SQL | SQLiteColumn,
  type: string,
  callbackUrl: SQL | SQLiteColumn | null,
  now: SQL | SQLiteColumn | number,
): SQL {
  return sql`CASE WHEN EXISTS (SELECT 1 FROM webhook_endpoints AS w, json_each(w.events) AS t
      WHERE w.tenant_id = ${tenantId} AND w.mode = ${mode} AND w.deleted_at IS NULL AND t.value = ${type})${callbackUrl ? sql` OR ${callbackUrl} IS NOT NULL` : sql``}
    THEN NULL ELSE ${now} END`;
}

/** The ids of new events that wait for a fan-out, from a `RETURNING id, fanned_out_at`. */
export const toFanOut = (rows: readonly { id: string; fanned_out_at?: number | null; fannedOutAt?: number | null }[]) =>
  rows.filter((row) => (row.fanned_out_at ?? row.fannedOutAt ?? null) === null).map((row) => row.id);

/**
 * The `message.status` event of the change that left the message in `status`, keyed by the message's
 * version: run in the change's own batch, it is written exactly when the change is, and never twice.
 */
export function messageStatusEvent(db: Db, messageId: string, status: MessageStatus) {
  return db
    .insert(events)
    .select(
      db
        .select({
          seq: sql<number>`NULL`.as("seq"),
          id: eventIdSql(messages.updatedAt).as("id"),
          tenantId: messages.tenantId,
          type: sql<"message.status">`'message.status'`.as("type"),
          source: sql<string>`${messages.id} || ':' || ${messages.version}`.as("source"),
          data: sql<Record<string, unknown>>`${messageEventData('"messages"')}`.as("data"),
          mode: messages.mode,
          createdAt: messages.updatedAt,
          fannedOutAt: sql<number | null>`${fanOutAt(messages.tenantId, messages.mode, "message.status", messages.callbackUrl, messages.updatedAt)}`.as(
            "fanned_out_at",
          ),
        })
        .from(messages)
        .where(and(eq(messages.id, messageId), eq(messages.status, status))),
    )
    .onConflictDoNothing()
    .returning({ id: events.id, fannedOutAt: events.fannedOutAt });
}

/** Records an event that is not a message's status change (an inbound reply); once per `source`. */
export async function recordTenantEvent(
  db: Db,
  owner: { tenantId: string; mode: KeyMode },
  type: EventRow["type"],
  source: string,
  data: Record<string, unknown>,
): Promise<string[]> {
  const now = Date.now();
  const { tenantId, mode } = owner;
  const rows = await db.all<{ id: string; fanned_out_at: number | null }>(sql`
    INSERT INTO events (id, tenant_id, mode, type, source, data, created_at, fanned_out_at)
    VALUES (${eventIdSql(now)}, ${tenantId}, ${mode}, ${type}, ${source}, ${JSON.stringify(data)}, ${now}, ${fanOutAt(sql`${tenantId}`, sql`${mode}`, type, null, now)})
    ON CONFLICT DO NOTHING RETURNING id, fanned_out_at`);
  return toFanOut(rows);
}

/**
 * Events made during one request or consumer batch, handed to the webhook queue at its end so deliveries
 * start at once. Losing them loses nothing: the cron fans out any event left without deliveries.
 */
export class EventOutbox {
  private readonly ids: string[] = [];

  add(ids: readonly string[]): void {
    this.ids.push(...ids);
  }

  async flush(queue: Queue): Promise<void> {
    if (this.ids.length === 0) return;
    const ids = this.ids.splice(0);
    try {
      await enqueueWebhookEvents(queue, ids);
    } catch (error) {
      log.warn("webhook_enqueue_failed", { count: ids.length, error: String(error) });
    }
  }
}

export interface EventPage {
  data: EventRow[];
  /** The last event's id: pass it as `after` for the next page (even when this one was short). */
  last: string | null;
}

/** The tenant's events after `after` (an event id), oldest first, in the order they were committed. */
export async function listEvents(secret: string | undefined, db: Db, owner: Owner, after: string | undefined, limit: number): Promise<EventPage> {
  const owned = and(eq(events.tenantId, owner.tenantId), eq(events.mode, owner.mode));
  let from = 0;
  if (after) {
    const anchor = await db.query.events.findFirst({ columns: { seq: true }, where: and(eq(events.id, after), owned) });
    if (!anchor) throw new ApiError("not_found", `No event ${after}.`);
    from = anchor.seq;
  }
  const rows = await db.select().from(events).where(and(owned, gt(events.seq, from))).orderBy(asc(events.seq)).limit(limit);
  // A reply's text is sealed in its event's data: opened here, so the route is never given it sealed.
  const data = await Promise.all(rows.map(async (event) => ({ ...event, data: await openEventData(secret, event.tenantId, event.data) })));
  return { data, last: data.at(-1)?.id ?? after ?? null };
}
