import { and, asc, desc, eq, lt, type SQL } from "drizzle-orm";
import { carrierNameFor } from "../carriers/registry";
import type { Db } from "../db/client";
import { messageEvents, messages, type MessageEventRow, type MessageRow } from "../db/schema";
import { analyzeBody, MAX_SEGMENTS } from "../domain/encoding";
import type { MessageStatus, MessageType } from "../domain/message-status";
import { parsePhone } from "../domain/phone";
import { ApiError } from "../lib/errors";
import { newId } from "../lib/ids";
import { log } from "../lib/log";
import { decodeCursor } from "../lib/pagination";
import { enqueueSend } from "../queues/bodies";
import type { AuthContext } from "../types";

export interface SendInput {
  to: string;
  body: string;
  type: MessageType;
  from?: string;
  reference?: string;
  country?: string;
}

export type MessageWithEvents = MessageRow & { events: MessageEventRow[] };

/**
 * Accepts a message: validates it, writes it to the outbox as `queued` (with its first event, in one
 * batch), then enqueues the send job. If the enqueue fails the row is still there and the sweeper
 * re-enqueues it, so an accepted message is never lost.
 */
export async function acceptMessage(
  env: Pick<Env, "SEND_QUEUE" | "LIVE_CARRIER">,
  db: Db,
  auth: AuthContext,
  input: SendInput,
): Promise<MessageWithEvents> {
  const phone = parsePhone(input.to, input.country);
  if (!phone.ok) throw new ApiError("invalid_number", phone.detail, { extra: { reason: phone.reason } });
  const { encoding, segments } = analyzeBody(input.body);
  if (segments > MAX_SEGMENTS) {
    throw new ApiError("body_too_long", `The body needs ${segments} ${encoding} segments; at most ${MAX_SEGMENTS} are allowed.`);
  }
  const now = Date.now();
  const row: MessageRow = {
    id: newId("message", now),
    tenantId: auth.tenantId,
    mode: auth.mode,
    to: phone.e164,
    country: phone.country,
    from: input.from ?? null,
    type: input.type,
    body: input.body,
    status: "queued",
    encoding,
    segments,
    carrier: carrierNameFor(auth.mode, env),
    carrierMessageId: null,
    errorCode: null,
    errorMessage: null,
    reference: input.reference ?? null,
    attempts: 0,
    version: 1,
    createdAt: now,
    updatedAt: now,
  };
  const event: MessageEventRow = { messageId: row.id, seq: 1, status: "queued", at: now, detail: null };
  await db.batch([db.insert(messages).values(row), db.insert(messageEvents).values(event)]);
  try {
    await enqueueSend(env.SEND_QUEUE, row.id);
  } catch (error) {
    log.warn("enqueue_failed", { message_id: row.id, error: String(error) });
  }
  return { ...row, events: [event] };
}

export async function getMessage(db: Db, tenantId: string, id: string): Promise<MessageWithEvents> {
  const [row, events] = await db.batch([
    db.select().from(messages).where(and(eq(messages.id, id), eq(messages.tenantId, tenantId))),
    db.select().from(messageEvents).where(eq(messageEvents.messageId, id)).orderBy(asc(messageEvents.seq)),
  ]);
  if (!row[0]) throw new ApiError("not_found", `No message ${id}.`);
  return { ...row[0], events };
}

export interface ListFilter {
  status?: MessageStatus;
  to?: string;
  limit: number;
  cursor?: string;
}

/** Newest first; fetches one row more than asked so the caller knows whether there is a next page. */
export async function listMessages(db: Db, tenantId: string, filter: ListFilter): Promise<MessageRow[]> {
  const conditions: SQL[] = [eq(messages.tenantId, tenantId)];
  if (filter.status) conditions.push(eq(messages.status, filter.status));
  if (filter.to) {
    const phone = parsePhone(filter.to);
    if (!phone.ok) {
      throw new ApiError("validation_failed", "The `to` filter is not a valid number.", {
        errors: [{ path: "query.to", message: phone.detail }],
      });
    }
    conditions.push(eq(messages.to, phone.e164));
  }
  if (filter.cursor) {
    const after = decodeCursor(filter.cursor);
    if (!after) {
      throw new ApiError("validation_failed", "The cursor is not one this API returned.", {
        errors: [{ path: "query.cursor", message: "not a cursor returned by this API" }],
      });
    }
    conditions.push(lt(messages.id, after));
  }
  return db
    .select()
    .from(messages)
    .where(and(...conditions))
    .orderBy(desc(messages.id))
    .limit(filter.limit + 1);
}
