import { and, asc, eq, inArray, sql } from "drizzle-orm";
import { SMPP } from "../carriers/smpp";
import type { Db } from "../db/client";
import { carrierReceipts, messageParts, messages, type CarrierReceiptRow, type MessagePartRow } from "../db/schema";
import { canonicalId, receiptIdCandidates } from "../domain/carrier-ids";
import { aggregateParts, type ParsedReceipt, type PartStatus, type ReceiptResult } from "../domain/receipts";
import { newId } from "../lib/ids";
import { log } from "../lib/log";
import type { EventOutbox } from "./events";
import { recordEvent, transition } from "./transitions";

/** SMSCs write the same id in hex in one place and decimal in another. */
const acrossBases = (carrier: string) => carrier === SMPP;

async function findPart(db: Db, carrier: string, carrierMessageId: string): Promise<MessagePartRow | undefined> {
  const keys = receiptIdCandidates(carrierMessageId, acrossBases(carrier));
  const [part] = await db
    .select()
    .from(messageParts)
    .where(and(eq(messageParts.carrier, carrier), inArray(messageParts.carrierKey, keys)))
    // An id written the same way wins over one that matches only in the other base.
    .orderBy(sql`${messageParts.carrierKey} = ${keys[0]} DESC`)
    .limit(1);
  return part;
}

/**
 * Takes one carrier receipt: stores it raw beside what was read from it, and applies it to its message.
 * A receipt for an id no submit has recorded yet is held, and applied when the id is recorded (the submit
 * looks for held receipts after writing its ids, and this looks again after holding, so one of the two
 * always sees the other). Duplicates and stale receipts are stored and change nothing.
 */
export async function ingestReceipt(
  db: Db,
  carrier: string,
  receipt: ParsedReceipt,
  raw: string,
  { now = Date.now(), events }: ApplyOptions = {},
): Promise<ReceiptResult> {
  const row: CarrierReceiptRow = {
    id: newId("receipt", now),
    carrier,
    carrierKey: canonicalId(receipt.carrierMessageId),
    status: receipt.status,
    errorCode: receipt.errorCode,
    carrierStatus: receipt.carrierStatus,
    carrierTime: receipt.carrierTime,
    raw,
    messageId: null,
    result: "held",
    receivedAt: now,
  };
  let part = await findPart(db, carrier, receipt.carrierMessageId);
  if (!part) {
    await db.insert(carrierReceipts).values(row);
    part = await findPart(db, carrier, receipt.carrierMessageId);
    if (!part) {
      log.info("receipt_held", { carrier, receipt_id: row.id });
      return "held";
    }
    return settleHeld(db, row, part, { now, events });
  }
  const result = await applyToPart(db, part, row, { now, events });
  await db.insert(carrierReceipts).values({ ...row, messageId: part.messageId, result });
  return result;
}

interface ApplyOptions {
  now?: number;
  /** Collects the status events the receipts make, for the webhook queue. */
  events?: EventOutbox;
}

async function settleHeld(db: Db, row: CarrierReceiptRow, part: MessagePartRow, options: ApplyOptions): Promise<ReceiptResult> {
  const result = await applyToPart(db, part, row, options);
  await db
    .update(carrierReceipts)
    .set({ messageId: part.messageId, result })
    .where(and(eq(carrierReceipts.id, row.id), eq(carrierReceipts.result, "held")));
  return result;
}

/** Applies the receipts held for parts a submit has just recorded, oldest first. */
export async function applyHeldReceipts(db: Db, carrier: string, parts: MessagePartRow[], options: ApplyOptions = {}): Promise<number> {
  const keys = parts.flatMap((part) => receiptIdCandidates(part.carrierKey, acrossBases(carrier)));
  const held = await db
    .select()
    .from(carrierReceipts)
    .where(and(sql`result = 'held'`, eq(carrierReceipts.carrier, carrier), inArray(carrierReceipts.carrierKey, keys)))
    .orderBy(asc(carrierReceipts.receivedAt));
  for (const receipt of held) {
    const candidates = receiptIdCandidates(receipt.carrierKey, acrossBases(carrier));
    const part = parts.find((p) => candidates.includes(p.carrierKey));
    if (part) await settleHeld(db, receipt, part, options);
  }
  if (held.length > 0) log.info("held_receipts_applied", { carrier, count: held.length });
  return held.length;
}

/**
 * A part moves once, from `sent` to its outcome; the message follows its parts (see aggregateParts). A part
 * that settles without settling the message still gets an event ("part 1/3 delivered").
 */
async function applyToPart(db: Db, part: MessagePartRow, receipt: CarrierReceiptRow, { now = Date.now(), events }: ApplyOptions): Promise<ReceiptResult> {
  const outcome = receipt.status;
  if (outcome === null || outcome === "sent") return "ignored";
  const [moved, , siblings] = await db.batch([
    db
      .update(messageParts)
      .set({ status: outcome, updatedAt: now })
      .where(and(eq(messageParts.carrier, part.carrier), eq(messageParts.carrierKey, part.carrierKey), eq(messageParts.status, "sent")))
      .returning({ part: messageParts.part }),
    db
      .update(messages)
      .set({ partsDelivered: sql`(SELECT count(*) FROM message_parts WHERE message_id = ${part.messageId} AND status = 'delivered')` })
      .where(eq(messages.id, part.messageId)),
    db.select({ status: messageParts.status }).from(messageParts).where(eq(messageParts.messageId, part.messageId)),
  ]);
  if (moved.length === 0) return "ignored";
  const statuses = siblings.map((s) => s.status as PartStatus);
  const partLabel = statuses.length > 1 ? ` (part ${part.part}/${statuses.length})` : "";
  const detail = `${receipt.carrier} receipt: ${receipt.carrierStatus}${partLabel}${receipt.errorCode ? `, ${receipt.errorCode}` : ""}`;
  const target = aggregateParts(statuses);
  if (target) {
    const failedDelivery = target === "undelivered" || target === "failed";
    await transition(db, part.messageId, target, {
      detail,
      receiptId: receipt.id,
      now,
      events,
      fields: failedDelivery ? { errorCode: receipt.errorCode ?? "undelivered", errorMessage: `carrier reported ${receipt.carrierStatus}` } : {},
    });
  } else {
    await recordEvent(db, part.messageId, "sent", detail, receipt.id, now);
  }
  return "applied";
}
