import { and, asc, desc, eq, type SQL } from "drizzle-orm";
import type { Db } from "../db/client";
import { carrierReceipts, messageEvents, messages, type CarrierReceiptRow, type MessageEventRow, type MessageRow } from "../db/schema";
import type { MessageStatus } from "../domain/message-status";
import { parsePhone } from "../domain/phone";
import { ApiError } from "../lib/errors";
import { idBefore } from "../lib/pagination";
import type { Owner } from "../types";

/** A message with its timeline and the carrier receipts its events came from. */
export type MessageWithEvents = MessageRow & { events: MessageEventRow[]; receipts?: CarrierReceiptRow[] };

/** One of an owner's messages: its tenant's, sent with a key of its mode (a test key never sees live traffic). */
export async function getMessage(db: Db, owner: Owner, id: string): Promise<MessageWithEvents> {
  const [row, events, receipts] = await db.batch([
    db.select().from(messages).where(and(eq(messages.id, id), eq(messages.tenantId, owner.tenantId), eq(messages.mode, owner.mode))),
    db.select().from(messageEvents).where(eq(messageEvents.messageId, id)).orderBy(asc(messageEvents.seq)),
    db.select().from(carrierReceipts).where(eq(carrierReceipts.messageId, id)),
  ]);
  if (!row[0]) throw new ApiError("not_found", `No message ${id}.`);
  return { ...row[0], events, receipts };
}

/** What a new message is made of; the rest of its row is the same for every new message. */
export type NewMessage = Pick<
  MessageRow,
  | "id" | "tenantId" | "mode" | "to" | "country" | "from" | "type" | "body" | "encoding" | "segments" | "carrier"
  | "reference" | "templateId" | "templateVersion" | "price" | "currency" | "sendAt" | "batchId" | "callbackUrl"
>;

/** A new message's row, as a send (src/services/sending.ts) and a batch's expansion (src/services/batch-work.ts) store it. */
export function newMessageRow(message: NewMessage, now: number): MessageRow {
  return {
    ...message,
    status: message.sendAt === null ? "queued" : "scheduled",
    carrierMessageId: null,
    errorCode: null,
    errorMessage: null,
    refundedAt: null,
    attempts: 0,
    parts: null,
    partsDelivered: 0,
    submittedAt: null,
    version: 1,
    createdAt: now,
    updatedAt: now,
  };
}

export interface ListFilter {
  status?: MessageStatus;
  to?: string;
  /** A batch's messages only (GET /v1/batches/{id}/messages). */
  batchId?: string;
  limit: number;
  cursor?: string;
}

/** Newest first; fetches one row more than asked so the caller knows whether there is a next page. */
export async function listMessages(db: Db, owner: Owner, filter: ListFilter): Promise<MessageRow[]> {
  const conditions: SQL[] = [eq(messages.tenantId, owner.tenantId), eq(messages.mode, owner.mode)];
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
  if (filter.batchId) conditions.push(eq(messages.batchId, filter.batchId));
  if (filter.cursor) conditions.push(idBefore(messages.id, filter.cursor));
  return db
    .select()
    .from(messages)
    .where(and(...conditions))
    .orderBy(desc(messages.id))
    .limit(filter.limit + 1);
}
