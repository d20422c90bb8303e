import { and, eq, inArray, sql, type SQL } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Db } from "../db/client";
import { messageEvents, messages, type MessageRow } from "../db/schema";
import { allowedFrom, type MessageStatus } from "../domain/message-status";
import { NOTIFIED_STATUSES } from "../domain/webhooks";
import { columnsAs } from "../db/json-rows";
import { eventIdSql, fanOutAt, messageEventData, messageStatusEvent, toFanOut, type EventOutbox } from "./events";

type MessageFields = Partial<
  Pick<MessageRow, "carrier" | "carrierMessageId" | "errorCode" | "errorMessage" | "attempts" | "parts" | "submittedAt">
>;

/**
 * The event of the change a batch's update just made: keyed by the version the update produced, read back
 * from the row when `condition` shows the update applied, so a duplicate adds nothing.
 */
function eventOfCurrentVersion(db: Db, messageId: string, detail: string | null, receiptId: string | null, condition: SQL) {
  return db
    .insert(messageEvents)
    .select(
      db
        .select({
          messageId: messages.id,
          seq: messages.version,
          status: messages.status,
          at: messages.updatedAt,
          detail: sql<string | null>`${detail}`.as("detail"),
          receiptId: sql<string | null>`${receiptId}`.as("receipt_id"),
        })
        .from(messages)
        .where(and(eq(messages.id, messageId), condition)),
    )
    .onConflictDoNothing();
}

/**
 * Moves a message to `next` if, and only if, its current status allows it, and records the event,
 * in one atomic D1 batch. Safe under redelivery and races: the update is conditional, and the event
 * is keyed by the message version the update produced, so a duplicate adds nothing.
 * Returns the updated row, or null when the move did not apply (stale, duplicate, or lost a race).
 */
export async function transition(
  db: Db,
  messageId: string,
  next: MessageStatus,
  options: {
    detail?: string | null;
    fields?: MessageFields;
    countAttempt?: boolean;
    /** Narrows the statuses the move applies from (never widens the lifecycle's). */
    onlyFrom?: readonly MessageStatus[];
    /** The carrier receipt behind this change, linked from its event. */
    receiptId?: string;
    /** Statements to commit with the change, in the same batch (they run whether or not it applies). */
    also?: BatchItem<"sqlite">[];
    /** Collects the tenant event the change makes, so its webhooks go out at once (else the cron's minute). */
    events?: EventOutbox;
    now?: number;
  } = {},
): Promise<MessageRow | null> {
  const now = options.now ?? Date.now();
  const from = allowedFrom(next).filter((status) => !options.onlyFrom || options.onlyFrom.includes(status));
  const update = db
    .update(messages)
    .set({
      ...options.fields,
      status: next,
      version: sql`${messages.version} + 1`,
      updatedAt: now,
      ...(options.countAttempt ? { attempts: sql`${messages.attempts} + 1` } : {}),
    })
    .where(and(eq(messages.id, messageId), inArray(messages.status, from)))
    .returning();
  const event = eventOfCurrentVersion(db, messageId, options.detail ?? null, options.receiptId ?? null, eq(messages.status, next));
  // The tenant's `message.status` event is written with the change, or not at all.
  const notify = (NOTIFIED_STATUSES as readonly MessageStatus[]).includes(next);
  const [updated, , created] = await db.batch([update, event, ...(notify ? [messageStatusEvent(db, messageId, next)] : []), ...(options.also ?? [])]);
  if (notify && updated[0]) options.events?.add(toFanOut(created as { id: string; fannedOutAt: number | null }[]));
  return updated[0] ?? null;
}

/** One message's move in a bulk settle: its next status, the fields the move sets, and its event's detail. */
export interface Settlement {
  id: string;
  status: MessageStatus;
  detail: string | null;
  carrier?: string;
  carrierMessageId?: string | null;
  parts?: number | null;
  submittedAt?: number | null;
  errorCode?: string | null;
  errorMessage?: string | null;
}

// Settlement keys and their columns; a key absent from a settlement leaves its column as it is.
const SETTLED_FIELDS = {
  carrier: "carrier",
  carrierMessageId: "carrier_message_id",
  parts: "parts",
  submittedAt: "submitted_at",
  errorCode: "error_code",
  errorMessage: "error_message",
} as const;

/**
 * Moves many messages at once, each to its own status with its own fields, in three statements for a
 * D1 batch: the conditional update (only from `from`, so a stale or duplicated settle changes nothing),
 * each moved message's event keyed by its new version, and the tenant `message.status` events. The
 * messages travel as one JSON parameter, so a whole consumer batch is one statement whatever its size.
 * `orWhere` admits more rows than `from` does (a condition on `messages`). The ids lead every plan: a `+` keeps
 * SQLite from walking a status index instead (all `sending` messages, each against the whole JSON).
 * Results: [moved rows, -, created events (`id`, `fanned_out_at`: see toFanOut)].
 */
export function settleStatements(settlements: readonly Settlement[], from: readonly MessageStatus[], now: number, orWhere?: SQL): SQL[] {
  const json = JSON.stringify(settlements);
  const fields = Object.entries(SETTLED_FIELDS).map(
    ([key, column]) => `"${column}" = CASE WHEN json_type(o.value, '$.${key}') IS NULL THEN messages."${column}" ELSE o.value ->> '$.${key}' END`,
  );
  const statuses = sql.raw(from.map((status) => `'${status}'`).join(", "));
  const notified = sql.raw((NOTIFIED_STATUSES as readonly string[]).map((status) => `'${status}'`).join(", "));
  const moved = sql`FROM json_each(${json}) AS o CROSS JOIN messages m ON m.id = o.value ->> '$.id'
    WHERE m.status = o.value ->> '$.status' AND m.updated_at = ${now}`;
  return [
    sql`UPDATE messages SET status = o.value ->> '$.status', version = messages.version + 1, updated_at = ${now}, ${sql.raw(fields.join(", "))}
      FROM json_each(${json}) AS o
      WHERE messages.id = o.value ->> '$.id' AND (+messages.status IN (${statuses}) OR ${orWhere ?? sql`false`})
      RETURNING ${columnsAs(messages, "messages")}`,
    sql`INSERT INTO message_events (message_id, seq, status, at, detail) SELECT m.id, m.version, m.status, ${now}, o.value ->> '$.detail' ${moved}
      ON CONFLICT DO NOTHING`,
    sql`INSERT INTO events (id, tenant_id, mode, type, source, data, created_at, fanned_out_at)
      SELECT ${eventIdSql(now)}, m.tenant_id, m.mode, 'message.status', m.id || ':' || m.version, ${messageEventData("m")}, ${now},
        ${fanOutAt(sql`m.tenant_id`, sql`m.mode`, "message.status", sql`m.callback_url`, now)} ${moved}
        AND m.status IN (${notified})
      ON CONFLICT DO NOTHING RETURNING id, fanned_out_at`,
  ];
}
