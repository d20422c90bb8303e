import { sql } from "drizzle-orm";
import { SMPP } from "../carriers/smpp";
import type { Db } from "../db/client";
import { insertJsonRows } from "../db/json-rows";
import { runBatch } from "../db/statements";
import { carrierReceipts, type CarrierReceiptRow } from "../db/schema";
import { canonicalId, receiptIdCandidates } from "../domain/carrier-ids";
import { allowedFrom, type MessageStatus } from "../domain/message-status";
import { aggregateParts, type ParsedReceipt, type PartStatus, type ReceiptResult } from "../domain/receipts";
import { NOTIFIED_STATUSES } from "../domain/webhooks";
import { checkpoint } from "../lib/faults";
import { newId } from "../lib/ids";
import { log } from "../lib/log";
import { SUBMIT_UNCONFIRMED } from "../domain/message-status";
import { EventOutbox, eventIdSql, fanOutAt, messageEventData, toFanOut } from "./events";
import { everyShard, isShard, readReference, shardScope } from "../db/shards";

/** SMSCs write the same id in hex in one place and decimal in another. */
export const acrossBases = (carrier: string) => carrier === SMPP;

/** Rounds of look-then-write a batch gets when other writers keep moving its messages; then the queue retries it. */
const MAX_ROUNDS = 5;

/** A receipt as the webhook read it, before it is stored: what the receipts queue carries. */
export function receiptRow(carrier: string, parsed: ParsedReceipt, raw: string, now = Date.now()): CarrierReceiptRow {
  return {
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
    reference: parsed.reference ?? null,
    carrierMessageId: parsed.carrierMessageId,
  };
}

interface PartState {
  carrier: string;
  carrierKey: string;
  messageId: string;
  part: number;
  status: PartStatus;
}

interface MessageState {
  id: string;
  status: MessageStatus;
  version: number;
  fromVersion: number;
  parts: PartState[];
  partsDelivered: number;
  errorCode?: string;
  errorMessage?: string;
  /** Set when a receipt confirms a submit whose answer was lost: the carrier and id it names. */
  adopted?: { carrier: string; carrierMessageId: string };
}

/** Messages left `sent` unconfirmed (src/cron/reconcile-sending.ts): a receipt naming one by reference confirms it. */
const adoptableWhere = (m: string) =>
  sql.raw(`${m}.carrier_message_id IS NULL AND ${m}.error_code = '${SUBMIT_UNCONFIRMED}' AND ${m}.status IN ('sent', 'expired')`);

const candidatesOf = (receipt: CarrierReceiptRow) => receiptIdCandidates(receipt.carrierKey, acrossBases(receipt.carrier));

/**
 * The look: which receipts are done already (a redelivery), and every part (with its message's status and
 * version) of the messages their ids name, and the unconfirmed messages they name by reference. One D1 batch.
 */
async function look(db: Db, receipts: readonly CarrierReceiptRow[]) {
  const keys = receipts.flatMap((r) => candidatesOf(r).map((key) => ({ carrier: r.carrier, key })));
  const keysJson = JSON.stringify(keys);
  const references = JSON.stringify([...new Set(receipts.flatMap((r) => (r.reference ? [r.reference] : [])))]);
  const results = await runBatch(db, [
    sql`SELECT id, result FROM carrier_receipts WHERE id IN (SELECT value FROM json_each(${JSON.stringify(receipts.map((r) => r.id))}))`,
    sql`SELECT p.carrier, p.carrier_key AS carrierKey, p.message_id AS messageId, p.part, p.status,
        m.status AS messageStatus, m.version, m.parts_delivered AS partsDelivered
      FROM message_parts p JOIN messages m ON m.id = p.message_id
      WHERE p.message_id IN (
        SELECT q.message_id FROM json_each(${keysJson}) AS k
        CROSS JOIN message_parts q ON q.carrier = k.value ->> '$.carrier' AND q.carrier_key = k.value ->> '$.key')
      ORDER BY p.message_id, p.part`,
    sql`SELECT id, status, version FROM messages WHERE id IN (SELECT value FROM json_each(${references})) AND ${adoptableWhere("messages")}`,
  ]);
  const [stored, parts, adoptable] = results as [
    { id: string; result: ReceiptResult }[],
    (PartState & { messageStatus: MessageStatus; version: number; partsDelivered: number })[],
    { id: string; status: MessageStatus; version: number }[],
  ];
  const messages = new Map<string, MessageState>();
  const byKey = new Map<string, PartState>();
  for (const row of parts) {
    let message = messages.get(row.messageId);
    if (!message) {
      message = { id: row.messageId, status: row.messageStatus, version: row.version, fromVersion: row.version, parts: [], partsDelivered: row.partsDelivered };
      messages.set(row.messageId, message);
    }
    const part: PartState = { carrier: row.carrier, carrierKey: row.carrierKey, messageId: row.messageId, part: row.part, status: row.status };
    message.parts.push(part);
    byKey.set(`${row.carrier}\n${row.carrierKey}`, part);
  }
  return {
    done: new Map(stored.filter((s) => s.result !== "held").map((s) => [s.id, s.result])),
    messages,
    byKey,
    adoptable: new Map(adoptable.map((row) => [row.id, row])),
  };
}

/**
 * A receipt whose id no part has, naming (by reference) a message whose submit answer was lost: the
 * receipt confirms it. The carrier's id becomes the message's one part, with an event saying so.
 */
function adopt(receipt: CarrierReceiptRow, state: Awaited<ReturnType<typeof look>>, plan: Plan): PartState | undefined {
  const found = receipt.reference ? state.adoptable.get(receipt.reference) : undefined;
  if (!found) return undefined;
  state.adoptable.delete(found.id);
  const part: PartState = { carrier: receipt.carrier, carrierKey: receipt.carrierKey, messageId: found.id, part: 1, status: "sent" };
  const message: MessageState = {
    id: found.id,
    status: found.status,
    version: found.version + 1,
    fromVersion: found.version,
    parts: [part],
    partsDelivered: 0,
    adopted: { carrier: receipt.carrier, carrierMessageId: receipt.carrierMessageId ?? receipt.carrierKey },
  };
  state.messages.set(found.id, message);
  state.byKey.set(`${receipt.carrier}\n${receipt.carrierKey}`, part);
  plan.changed.set(found.id, message);
  plan.adoptions.push({ carrier: receipt.carrier, key: receipt.carrierKey, messageId: found.id });
  plan.events.push({
    messageId: found.id,
    seq: message.version,
    status: found.status,
    detail: `${receipt.carrier} receipt confirms the submit as ${receipt.carrierMessageId ?? receipt.carrierKey}`,
    receiptId: receipt.id,
  });
  return part;
}

/** The writes of one round, as JSON lists that one statement each applies. */
interface Plan {
  results: Map<string, ReceiptResult>;
  changed: Map<string, MessageState>;
  partChanges: { carrier: string; key: string; status: PartStatus; messageId: string }[];
  adoptions: { carrier: string; key: string; messageId: string }[];
  events: { messageId: string; seq: number; status: MessageStatus; detail: string; receiptId: string }[];
  notify: { messageId: string; seq: number }[];
  /** Each receipt to store (or, held before, to settle) with what it did; an applied one only with its message. */
  receiptResults: (CarrierReceiptRow & { applied: boolean })[];
}

/** Walks the receipts in order against what the look read, as the one-at-a-time path would have applied them. */
function planRound(receipts: readonly CarrierReceiptRow[], state: Awaited<ReturnType<typeof look>>, store: boolean): Plan {
  const plan: Plan = { results: new Map(), changed: new Map(), partChanges: [], adoptions: [], events: [], notify: [], receiptResults: [] };
  for (const receipt of receipts) {
    const done = state.done.get(receipt.id);
    if (done) {
      plan.results.set(receipt.id, done);
      continue;
    }
    const part =
      candidatesOf(receipt)
        .map((key) => state.byKey.get(`${receipt.carrier}\n${key}`))
        .find((found) => found !== undefined) ?? adopt(receipt, state, plan);
    if (!part) {
      plan.results.set(receipt.id, "held");
      // Stored held the first time; one held before stays as it is.
      if (store) plan.receiptResults.push({ ...receipt, result: "held", messageId: null, applied: false });
      continue;
    }
    const message = state.messages.get(part.messageId)!;
    const outcome = receipt.status === "sent" ? null : receipt.status;
    if (outcome === null || part.status !== "sent") {
      plan.results.set(receipt.id, "ignored");
      plan.receiptResults.push({ ...receipt, result: "ignored", messageId: message.id, applied: false });
      continue;
    }
    part.status = outcome;
    plan.partChanges.push({ carrier: part.carrier, key: part.carrierKey, status: outcome, messageId: message.id });
    message.partsDelivered = message.parts.filter((p) => p.status === "delivered").length;
    const total = message.parts.length;
    const partLabel = total > 1 ? ` (part ${part.part}/${total})` : "";
    const detail = `${receipt.carrier} receipt: ${receipt.carrierStatus}${partLabel}${receipt.errorCode ? `, ${receipt.errorCode}` : ""}`;
    const target = aggregateParts(message.parts.map((p) => p.status));
    // The message follows its parts; a part that settles without settling the message still gets an event.
    const moves = target !== null && allowedFrom(target).includes(message.status);
    if (moves || (target === null && message.status === "sent")) {
      message.version += 1;
      if (moves) {
        message.status = target;
        if (target === "undelivered" || target === "failed") {
          message.errorCode = receipt.errorCode ?? "undelivered";
          message.errorMessage = `carrier reported ${receipt.carrierStatus}`;
        }
        if ((NOTIFIED_STATUSES as readonly string[]).includes(target)) plan.notify.push({ messageId: message.id, seq: message.version });
      }
      plan.events.push({ messageId: message.id, seq: message.version, status: message.status, detail, receiptId: receipt.id });
    }
    plan.changed.set(message.id, message);
    plan.results.set(receipt.id, "applied");
    plan.receiptResults.push({ ...receipt, result: "applied", messageId: message.id, applied: true });
  }
  return plan;
}

/**
 * The write: every changed message (only at the version the look read), its parts, events, tenant events
 * and the receipts' results, in one D1 batch. The parts, events and results are written only for a
 * message whose update applied, so the parts and the message always commit together.
 * Returns the messages whose update applied, and the tenant events made.
 */
async function write(db: Db, plan: Plan, now: number) {
  const changes = [...plan.changed.values()].map(({ parts: _, ...m }) => m);
  // Each row names its message's version after this write: it is written only if that update applied.
  const versioned = <T extends { messageId: string | null }>(rows: T[]) =>
    rows.map((row) => ({ ...row, v: row.messageId === null ? null : (plan.changed.get(row.messageId)?.version ?? null) }));
  const at = <T extends { messageId: string | null }>(rows: T[]) => JSON.stringify(versioned(rows));
  const applied = sql`EXISTS (SELECT 1 FROM messages m WHERE m.id = c.value ->> '$.messageId' AND m.version = c.value ->> '$.v' AND m.updated_at = ${now})`;
  // Receipts stored held, each with every key it may go by: a submit that recorded its id after the look
  // (or a reconciliation that left its message unconfirmed) did not see it, so it is looked at again.
  const held = plan.receiptResults
    .filter((r) => r.result === "held")
    .flatMap((r) => candidatesOf(r).map((key) => ({ id: r.id, carrier: r.carrier, key, reference: r.reference })));
  const [moved, , , , created, , recheck] = await runBatch<{ id: string; fanned_out_at: number | null }>(db, [
    // An adopted message takes the carrier's id, and loses its "unconfirmed" error unless the receipt brings one.
    sql`UPDATE messages SET status = c.value ->> '$.status', version = c.value ->> '$.version', updated_at = ${now},
        parts_delivered = c.value ->> '$.partsDelivered',
        carrier = coalesce(c.value ->> '$.adopted.carrier', messages.carrier),
        carrier_message_id = coalesce(c.value ->> '$.adopted.carrierMessageId', messages.carrier_message_id),
        parts = CASE WHEN c.value ->> '$.adopted' IS NULL THEN messages.parts ELSE 1 END,
        error_code = coalesce(c.value ->> '$.errorCode', CASE WHEN c.value ->> '$.adopted' IS NULL THEN messages.error_code END),
        error_message = coalesce(c.value ->> '$.errorMessage', CASE WHEN c.value ->> '$.adopted' IS NULL THEN messages.error_message END)
      FROM json_each(${JSON.stringify(changes)}) AS c
      WHERE messages.id = c.value ->> '$.id' AND messages.version = c.value ->> '$.fromVersion'
      RETURNING messages.id AS id`,
    sql`INSERT INTO message_parts (carrier, carrier_key, message_id, part, status, updated_at)
      SELECT c.value ->> '$.carrier', c.value ->> '$.key', c.value ->> '$.messageId', 1, 'sent', ${now}
      FROM json_each(${at(plan.adoptions)}) AS c WHERE ${applied}
      ON CONFLICT DO NOTHING`,
    sql`UPDATE message_parts SET status = c.value ->> '$.status', updated_at = ${now}
      FROM json_each(${at(plan.partChanges)}) AS c
      WHERE message_parts.carrier = c.value ->> '$.carrier' AND message_parts.carrier_key = c.value ->> '$.key'
        AND message_parts.status = 'sent' AND ${applied}`,
    sql`INSERT INTO message_events (message_id, seq, status, at, detail, receipt_id)
      SELECT c.value ->> '$.messageId', c.value ->> '$.seq', c.value ->> '$.status', ${now}, c.value ->> '$.detail', c.value ->> '$.receiptId'
      FROM json_each(${at(plan.events)}) AS c WHERE ${applied}
      ON CONFLICT DO NOTHING`,
    sql`INSERT INTO events (id, tenant_id, mode, type, source, data, created_at, fanned_out_at)
      SELECT ${eventIdSql(now)}, m.tenant_id, m.mode, 'message.status', m.id || ':' || (c.value ->> '$.seq'), ${messageEventData("m")}, ${now},
        ${fanOutAt(sql`m.tenant_id`, sql`m.mode`, "message.status", sql`m.callback_url`, now)}
      FROM json_each(${at(plan.notify)}) AS c CROSS JOIN messages m ON m.id = c.value ->> '$.messageId'
      WHERE ${applied}
      ON CONFLICT DO NOTHING RETURNING id, fanned_out_at`,
    // Each receipt is written once, with what it did: raw, as the carrier posted it.
    insertJsonRows(
      carrierReceipts,
      versioned(plan.receiptResults),
      sql`j.value ->> '$.applied' = 0 OR EXISTS (SELECT 1 FROM messages m WHERE m.id = j.value ->> '$.messageId' AND m.version = j.value ->> '$.v' AND m.updated_at = ${now})`,
      sql`ON CONFLICT (id) DO UPDATE SET result = excluded.result, message_id = excluded.message_id WHERE carrier_receipts.result = 'held'`,
    ),
    sql`SELECT DISTINCT k.value ->> '$.id' AS id FROM json_each(${JSON.stringify(held)}) AS k
      WHERE EXISTS (SELECT 1 FROM message_parts p WHERE p.carrier = k.value ->> '$.carrier' AND p.carrier_key = k.value ->> '$.key')
        OR EXISTS (SELECT 1 FROM messages m WHERE m.id = k.value ->> '$.reference' AND ${adoptableWhere("m")})`,
  ]);
  return { moved: new Set(moved!.map((row) => row.id)), created: toFanOut(created!), recheck: new Set(recheck!.map((row) => row.id)) };
}

/**
 * Applies a batch of carrier receipts in a bounded number of D1 round trips, not one per receipt: a look
 * (the parts and messages the receipts name), then one write that stores each receipt once with what it
 * did, repeated only for receipts whose message another writer moved in between. A receipt for an id no submit has recorded yet stays
 * held; the submit that records the id finds it (src/services/delivery.ts) and applies it here. Duplicates
 * and stale receipts are stored and change nothing; a redelivered batch changes nothing twice.
 */
export async function applyReceipts(
  db: Db,
  receipts: readonly CarrierReceiptRow[],
  options: { store: boolean; events?: EventOutbox; now?: number },
): Promise<Map<string, ReceiptResult>> {
  const results = new Map<string, ReceiptResult>();
  // A receipt the queue delivered twice in one batch is one receipt.
  let pending = [...new Map(receipts.map((receipt) => [receipt.id, receipt])).values()];
  for (let round = 0; pending.length > 0; round += 1) {
    if (round === MAX_ROUNDS) throw new Error(`receipts still contended after ${MAX_ROUNDS} rounds`);
    const now = Math.max(options.now ?? Date.now(), Date.now());
    checkpoint("receipt_apply");
    const plan = planRound(pending, await look(db, pending), options.store);
    const { moved, created, recheck } =
      plan.changed.size > 0 || plan.receiptResults.length > 0 ? await write(db, plan, now) : { moved: new Set<string>(), created: [], recheck: new Set<string>() };
    checkpoint("receipt_apply", "after");
    options.events?.add(created);
    const retry: CarrierReceiptRow[] = [];
    for (const receipt of pending) {
      const result = plan.results.get(receipt.id)!;
      const entry = plan.receiptResults.find((r) => r.id === receipt.id);
      // Another writer moved the message between the look and the write: look again.
      if (result === "applied" && entry && !moved.has(entry.messageId!)) retry.push(receipt);
      else if (recheck.has(receipt.id)) retry.push(receipt);
      else results.set(receipt.id, result);
    }
    pending = retry;
  }
  const held = [...results.values()].filter((r) => r === "held").length;
  // A search (not storing) finds most receipts on some other shard: only stored holds are news.
  if (held > 0 && options.store) log.info("receipts_held", { count: held });
  return results;
}

/**
 * A consumer batch's receipts, each applied on its message's shard. The shard comes back in the receipt's
 * client reference (Twilio's callback URL, Vonage's client-ref, Alibaba's OutId, the simulator's reference),
 * so it costs no lookup. A receipt that names none (SMPP's receipt text has no reference) is looked for on
 * every shard: one look per shard for the batch's unnamed receipts, and, for those no shard has yet, one
 * more per shard to hold them everywhere, so the submit that records the id finds it on whichever shard it is.
 */
export async function applyReceiptsAcrossShards(env: Env, receipts: readonly CarrierReceiptRow[]): Promise<void> {
  const named = new Map<string, CarrierReceiptRow[]>();
  const unnamed: CarrierReceiptRow[] = [];
  for (const receipt of receipts) {
    const { messageId, shard } = receipt.reference ? readReference(receipt.reference) : { messageId: null, shard: null };
    const row = { ...receipt, reference: messageId };
    if (!shard || !isShard(env, shard)) unnamed.push(row);
    else if (named.has(shard)) named.get(shard)!.push(row);
    else named.set(shard, [row]);
  }
  const applyOn = async (shard: string, rows: readonly CarrierReceiptRow[], store: boolean) => {
    const scope = shardScope(env, shard);
    const events = new EventOutbox();
    const results = await applyReceipts(scope.db, rows, { store, events });
    await events.flush(scope.env.WEBHOOK_QUEUE);
    return results;
  };
  await Promise.all([...named].map(([shard, rows]) => applyOn(shard, rows, true)));
  if (unnamed.length === 0) return;
  const shards = everyShard(env).map((scope) => scope.shard);
  const found = await Promise.all(shards.map((shard) => applyOn(shard, unnamed, false)));
  const nowhere = unnamed.filter((receipt) => found.every((results) => results.get(receipt.id) === "held"));
  if (nowhere.length > 0) await Promise.all(shards.map((shard) => applyOn(shard, nowhere, true)));
}
