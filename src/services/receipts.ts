import { and, asc, eq, inArray, sql, type SQL } from "drizzle-orm";
import { SMPP } from "../carriers/smpp";
import type { Db } from "../db/client";
import { runBatch } from "../db/statements";
import { carrierReceipts, type CarrierReceiptRow, type MessagePartRow } from "../db/schema";
import { canonicalId, receiptIdCandidates } from "../domain/carrier-ids";
import { aggregateParts, type ParsedReceipt, type PartStatus, type ReceiptResult } from "../domain/receipts";
import { newId } from "../lib/ids";
import { log } from "../lib/log";
import type { EventOutbox } from "./events";
import { recordEvent, transition } from "./transitions";

interface ApplyOptions {
  now?: number;
  /** Collects the status events the receipts make, for the webhook queue. */
  events?: EventOutbox;
}

/** SMSCs write the same id in hex in one place and decimal in another. */
const acrossBases = (carrier: string) => carrier === SMPP;

/** The recorded part a receipt's id names, as a subquery: of its canonical forms, one written the same way wins. */
function partKey(carrier: string, keys: string[]): SQL {
  return sql`(SELECT carrier_key FROM message_parts WHERE carrier = ${carrier}
    AND carrier_key IN (SELECT value FROM json_each(${JSON.stringify(keys)})) ORDER BY carrier_key = ${keys[0]} DESC LIMIT 1)`;
}

/**
 * One D1 batch: find the receipt's part, move it (only from `sent`), recount the message's delivered parts,
 * read its parts, and store the receipt (or, for one held before, settle it) with what it did.
 */
async function settlePart(db: Db, receipt: CarrierReceiptRow, keys: string[], store: "insert" | "update", now: number) {
  const key = partKey(receipt.carrier, keys);
  const messageOf = sql`(SELECT message_id FROM message_parts WHERE carrier = ${receipt.carrier} AND carrier_key = ${key})`;
  const outcome = receipt.status === "sent" ? null : receipt.status;
  const moved = sql`EXISTS (SELECT 1 FROM message_parts WHERE carrier = ${receipt.carrier} AND carrier_key = ${key} AND status = ${outcome} AND updated_at = ${now})`;
  const result = sql`CASE WHEN ${messageOf} IS NULL THEN 'held' WHEN ${moved} THEN 'applied' ELSE 'ignored' END`;
  const [found, updated, , siblings] = await runBatch<{ message_id: string; part: number; status: PartStatus }>(db, [
    sql`SELECT message_id, part FROM message_parts WHERE carrier = ${receipt.carrier} AND carrier_key = ${key}`,
    outcome === null
      ? sql`SELECT 1 WHERE 0`
      : sql`UPDATE message_parts SET status = ${outcome}, updated_at = ${now}
          WHERE carrier = ${receipt.carrier} AND carrier_key = ${key} AND status = 'sent' RETURNING part`,
    outcome === "delivered"
      ? sql`UPDATE messages SET parts_delivered = (SELECT count(*) FROM message_parts p WHERE p.message_id = messages.id AND p.status = 'delivered')
          WHERE id = ${messageOf}`
      : sql`SELECT 1 WHERE 0`,
    sql`SELECT status FROM message_parts WHERE message_id = ${messageOf} ORDER BY part`,
    store === "insert"
      ? sql`INSERT INTO carrier_receipts (id, carrier, carrier_key, status, error_code, carrier_status, carrier_time, raw, message_id, result, received_at)
          VALUES (${receipt.id}, ${receipt.carrier}, ${receipt.carrierKey}, ${receipt.status}, ${receipt.errorCode}, ${receipt.carrierStatus},
            ${receipt.carrierTime}, ${receipt.raw}, ${messageOf}, ${result}, ${receipt.receivedAt})`
      : sql`UPDATE carrier_receipts SET message_id = ${messageOf}, result = ${result} WHERE id = ${receipt.id} AND result = 'held'`,
  ]);
  const part = found![0];
  const applied = updated!.length > 0;
  return { part, applied, statuses: siblings!.map((s) => s.status) };
}

/**
 * The message follows its parts (see aggregateParts). A part that settles without settling the message
 * still gets an event ("part 1/3 delivered").
 */
async function followParts(db: Db, receipt: CarrierReceiptRow, messageId: string, part: number, statuses: PartStatus[], options: ApplyOptions) {
  const now = options.now ?? Date.now();
  const partLabel = statuses.length > 1 ? ` (part ${part}/${statuses.length})` : "";
  const detail = `${receipt.carrier} receipt: ${receipt.carrierStatus}${partLabel}${receipt.errorCode ? `, ${receipt.errorCode}` : ""}`;
  const target = aggregateParts(statuses);
  if (!target) {
    await recordEvent(db, messageId, "sent", detail, receipt.id, now);
    return;
  }
  const failedDelivery = target === "undelivered" || target === "failed";
  await transition(db, messageId, target, {
    detail,
    receiptId: receipt.id,
    now,
    events: options.events,
    fields: failedDelivery ? { errorCode: receipt.errorCode ?? "undelivered", errorMessage: `carrier reported ${receipt.carrierStatus}` } : {},
  });
}

async function apply(db: Db, receipt: CarrierReceiptRow, store: "insert" | "update", options: ApplyOptions): Promise<ReceiptResult> {
  const keys = receiptIdCandidates(receipt.carrierKey, acrossBases(receipt.carrier));
  const { part, applied, statuses } = await settlePart(db, receipt, keys, store, options.now ?? Date.now());
  if (!part) return "held";
  if (!applied) return "ignored";
  await followParts(db, receipt, part.message_id, part.part, statuses, options);
  return "applied";
}

/**
 * Takes one carrier receipt: stores it raw beside what was read from it, and applies it to its message, in
 * two D1 round trips (one for a duplicate). A receipt for an id no submit has recorded yet is held, and
 * applied when the id is recorded: the submit looks for held receipts after writing its ids, and this
 * looks again after holding, so one of the two always sees the other. Duplicates and stale receipts are
 * stored and change nothing.
 */
export async function ingestReceipt(
  db: Db,
  carrier: string,
  parsed: ParsedReceipt,
  raw: string,
  options: ApplyOptions = {},
): Promise<ReceiptResult> {
  const now = options.now ?? Date.now();
  const receipt: CarrierReceiptRow = {
    id: newId("receipt", now),
    carrier,
    carrierKey: canonicalId(parsed.carrierMessageId),
    status: parsed.status,
    errorCode: parsed.errorCode,
    carrierStatus: parsed.carrierStatus,
    carrierTime: parsed.carrierTime,
    raw,
    messageId: null,
    result: "held",
    receivedAt: now,
  };
  const result = await apply(db, receipt, "insert", { ...options, now });
  if (result !== "held") return result;
  // The submit may have recorded the id between this receipt's look and its write: look once more.
  const again = await apply(db, receipt, "update", { ...options, now });
  if (again === "held") log.info("receipt_held", { carrier, receipt_id: receipt.id });
  return again;
}

/** Applies the receipts held for parts a submit has just recorded, oldest first. */
export async function applyHeldReceipts(db: Db, carrier: string, parts: MessagePartRow[], options: ApplyOptions = {}): Promise<number> {
  const keys = parts.flatMap((part) => receiptIdCandidates(part.carrierKey, acrossBases(carrier)));
  const held = await db
    .select()
    .from(carrierReceipts)
    .where(and(sql`result = 'held'`, eq(carrierReceipts.carrier, carrier), inArray(carrierReceipts.carrierKey, keys)))
    .orderBy(asc(carrierReceipts.receivedAt));
  for (const receipt of held) await apply(db, receipt, "update", options);
  if (held.length > 0) log.info("held_receipts_applied", { carrier, count: held.length });
  return held.length;
}
