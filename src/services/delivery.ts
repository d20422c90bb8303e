import { sql, type SQL } from "drizzle-orm";
import { clientReference } from "../db/shards";
import type { CarrierAdapter, SubmitResult } from "../carriers/types";
import type { Db } from "../db/client";
import { columnsAs, insertJsonRows } from "../db/json-rows";
import { runBatch } from "../db/statements";
import { carrierReceipts, messageParts, messages, type CarrierHealthRow, type CarrierReceiptRow, type MessagePartRow, type MessageRow } from "../db/schema";
import { canonicalId, receiptIdCandidates } from "../domain/carrier-ids";
import { SUBMIT_UNCONFIRMED } from "../domain/message-status";
import { nextCarrier } from "../domain/routing";
import { MAX_SEND_ATTEMPTS, retryDelaySeconds } from "../domain/retry";
import { chunks } from "../lib/chunks";
import { checkpoint } from "../lib/faults";
import { log } from "../lib/log";
import { CarrierBreakers } from "./carrier-health";
import { isCarrierFault, WITHOUT_BREAKER } from "../domain/circuit-breaker";
import { toFanOut, type EventOutbox } from "./events";
import { acrossBases, applyReceipts } from "./receipts";
import { settleStatements, type Settlement } from "./transitions";

export type SendOutcome =
  | { kind: "skipped" }
  | { kind: "sent" | "failed"; message: MessageRow }
  | { kind: "retry"; delaySeconds: number };

/** A retry that moves to another carrier goes at once (a second); one back to the same carrier backs off. */
export const FAILOVER_DELAY_SECONDS = 1;
/**
 * A claimed message not handed to a carrier this long after its claim lost its consumer (a wave's hand-off comes
 * right after the previous wave's submits, each at most SUBMIT_TIMEOUT_MS): a redelivered job or the reconciler
 * takes it back. Should its consumer only have been slow, its hand-off then finds the message no longer its own.
 */
export const RECLAIM_UNHANDED_AFTER_MS = 60_000;
/** Submits in flight at once to one carrier, per consumer batch: a batch of 100 does not open 100 connections. */
export const SUBMITS_PER_CARRIER = 10;

/** What the send consumer knows about carriers: each message's failover order, adapters and where events go. */
export interface CarrierPlan {
  /** The shard the batch's messages are on: carriers get it in the client reference, and receipts bring it back. */
  shard: string;
  /** The control database: the carriers' breakers (carrier_health) are shared by every shard. */
  control: Db;
  order(message: MessageRow): string[];
  /** The body as the tenant wrote it: stored encrypted, it is decrypted only to be handed to the carrier. */
  openBody(message: MessageRow): Promise<string>;
  adapter(carrier: string): CarrierAdapter | null;
  /** Where the status events of this batch's sends are collected for the webhook queue. */
  events?: EventOutbox;
  /** Hands settlements that D1 refused to a durable queue, to be recorded by a later job. */
  settleLater?(settlements: SendSettlement[]): Promise<void>;
}

/** A message's outcome as the send consumer records it, with the carrier ids of the parts a carrier took. */
export interface SendSettlement extends Settlement {
  partIds?: string[];
}

/**
 * The claim, for a consumer batch: `queued → sending` for every id still queued, in one statement with its events.
 * A message left `sending` but never handed to a carrier for RECLAIM_UNHANDED_AFTER_MS (its consumer died between
 * waves) is claimed again: its `attempts` moves on, so the consumer that lost it can no longer hand it over
 * (`handOff`) even if it was only slow.
 */
function claimStatements(ids: readonly string[], now: number) {
  const json = JSON.stringify(ids);
  return [
    // `+status`: found by id, never by walking every queued message in the status index.
    sql`UPDATE messages SET status = 'sending', attempts = attempts + 1, version = version + 1, updated_at = ${now}, handed_at = NULL
      WHERE id IN (SELECT value FROM json_each(${json}))
        AND (+status = 'queued' OR (+status = 'sending' AND handed_at IS NULL AND updated_at <= ${now - RECLAIM_UNHANDED_AFTER_MS}))
      RETURNING ${columnsAs(messages, "messages")}`,
    sql`INSERT INTO message_events (message_id, seq, status, at)
      SELECT id, version, 'sending', ${now} FROM messages
      WHERE id IN (SELECT value FROM json_each(${json})) AND status = 'sending' AND updated_at = ${now}
      ON CONFLICT DO NOTHING`,
    // Messages of this batch that failed earlier but whose refund a crash left undone: the redelivery finishes it.
    sql`SELECT ${columnsAs(messages, "messages")} FROM messages
      WHERE id IN (SELECT value FROM json_each(${json})) AND +status IN ('failed', 'canceled') AND price > 0
        AND carrier_message_id IS NULL AND refunded_at IS NULL`,
  ];
}

/**
 * Marks a wave of claimed messages as handed to their carrier, right before their submits: only those still
 * claimed by this consumer (same `attempts`, still `sending`, not handed) are marked, and only those are submitted.
 */
async function handOff(db: Db, wave: readonly MessageRow[], now: number): Promise<Set<string>> {
  if (wave.length === 0) return new Set();
  checkpoint("handoff");
  // Found by id (the primary key), then held to the claim this consumer made: `<id>:<attempts>`.
  const ids = JSON.stringify(wave.map((message) => message.id));
  const claims = JSON.stringify(wave.map((message) => `${message.id}:${message.attempts}`));
  const rows = await db.all<{ id: string }>(sql`UPDATE messages SET handed_at = ${now}
    WHERE id IN (SELECT value FROM json_each(${ids})) AND +status = 'sending' AND handed_at IS NULL
      AND id || ':' || attempts IN (SELECT value FROM json_each(${claims}))
    RETURNING id`);
  checkpoint("handoff", "after");
  return new Set(rows.map((row) => row.id));
}

/**
 * The carrier for this try: the next in the message's route after the one that failed last (the first on
 * a first try) whose circuit is not open. Null when every circuit is open.
 */
async function chooseCarrier(breakers: CarrierBreakers, message: MessageRow, order: string[], now: number): Promise<string | null> {
  const open = new Set<string>();
  for (;;) {
    const candidate = nextCarrier(order, message.carrier, (carrier) => open.has(carrier));
    if (candidate === null || (await breakers.available(candidate, now))) return candidate;
    open.add(candidate);
  }
}

type Try = { settlement: SendSettlement; delaySeconds?: number };
/** A claimed message ready for its carrier, or settled without one (expired, unreadable, no carrier). */
type Prepared = { settled: Try } | { message: MessageRow; order: string[]; carrier: string; adapter: CarrierAdapter; body: string };

/** Everything a claimed message's try needs before the carrier: its validity, its body, its carrier. */
async function prepareTry(plan: CarrierPlan, breakers: CarrierBreakers, claimed: MessageRow, now: number): Promise<Prepared> {
  const order = plan.order(claimed);
  // Twilio's ValidityPeriod: a message still waiting for a carrier past it fails (30036) and is refunded.
  if (claimed.validUntil !== null && now > claimed.validUntil) {
    return { settled: settlementOf(claimed, order, null, { ok: false, retryable: false, code: "validity_period_expired", message: "Its validity period ended before a carrier took it." }) };
  }
  let body: string;
  try {
    body = await plan.openBody(claimed);
  } catch (error) {
    // The key it was encrypted under is not configured: no carrier is to blame, and none is tried. It waits
    // for its retries (an operator restores the key) and, past them, fails and is refunded.
    log.error("message_body_unreadable", { message_id: claimed.id, error: String(error) });
    return { settled: settlementOf(claimed, order, null, { ok: false, retryable: true, code: "body_unreadable", message: "The message body cannot be decrypted." }) };
  }
  // A breaker that cannot be read (its probe claim failed) sends nothing: the try waits as if all were cooling.
  const carrier = await chooseCarrier(breakers, claimed, order, now).catch((error: unknown) => {
    log.error("carrier_choice_failed", { message_id: claimed.id, error: String(error) });
    return null;
  });
  if (carrier === null) {
    return { settled: settlementOf(claimed, order, null, { ok: false, retryable: true, code: "no_carrier_available", message: `Every carrier of the route (${order.join(", ")}) is cooling down.` }) };
  }
  const adapter = plan.adapter(carrier);
  // Another carrier of the route may be configured; with none, there is nothing to retry.
  if (!adapter) return { settled: settlementOf(claimed, order, carrier, { ok: false, retryable: order.length > 1, code: "no_route", message: `No carrier adapter "${carrier}" is configured.` }) };
  return { message: claimed, order, carrier, adapter, body };
}

/** One handed message's submit, and what its answer makes of it and of its carrier's breaker. */
async function submitTry(plan: CarrierPlan, breakers: CarrierBreakers, ready: Extract<Prepared, { message: MessageRow }>, now: number): Promise<Try> {
  const { message, carrier, adapter, body } = ready;
  const result: SubmitResult = await (async () => {
    checkpoint("submit");
    return adapter.submit({ messageId: message.id, reference: clientReference(plan.shard, message.id), to: message.to, from: message.from, body, segments: message.segments, encoding: message.encoding });
  })().catch((error: unknown) => ({ ok: false as const, retryable: true, code: "carrier_error", message: String(error) }));
  // A 2xx the gateway could not read still shows the carrier is up.
  if (result.ok || result.unknown) breakers.succeeded(carrier, now);
  else if (result.retryable && isCarrierFault(result.code)) breakers.failed(carrier, now);
  return settlementOf(message, ready.order, carrier, result);
}

/**
 * The claimed messages' tries. Each carrier takes its messages in waves as large as the submits it may have in
 * flight (SUBMITS_PER_CARRIER, or the adapter's own), and each wave is handed off in D1 right before its
 * submits: a consumer that dies mid-batch leaves the rest `sending` but never handed, so they are claimed again
 * (and sent once), never taken for sent. The first waves of every carrier are handed off in one statement.
 */
async function submitInWaves(db: Db, plan: CarrierPlan, breakers: CarrierBreakers, claimed: readonly MessageRow[], now: number): Promise<Try[]> {
  const prepared = await Promise.all(claimed.map((message) => prepareTry(plan, breakers, message, now)));
  const tries: Try[] = prepared.flatMap((p) => ("settled" in p ? [p.settled] : []));
  const byCarrier = new Map<string, Extract<Prepared, { message: MessageRow }>[]>();
  for (const p of prepared) if (!("settled" in p)) byCarrier.set(p.carrier, [...(byCarrier.get(p.carrier) ?? []), p]);
  const waves = [...byCarrier.values()].map((ready) => chunks(ready, ready[0]!.adapter.concurrency ?? SUBMITS_PER_CARRIER));
  const firstHanded = await handOff(db, waves.flatMap((w) => w[0]!.map((r) => r.message)), now);
  await Promise.all(
    waves.map(async (carrierWaves) => {
      for (const [i, wave] of carrierWaves.entries()) {
        const handed = i === 0 ? firstHanded : await handOff(db, wave.map((r) => r.message), now);
        tries.push(...(await Promise.all(wave.filter((r) => handed.has(r.message.id)).map((r) => submitTry(plan, breakers, r, now)))));
      }
    }),
  );
  return tries;
}

/** What a try's result makes of the message: `sent`, back to `queued` for a retry, or `failed`. */
function settlementOf(claimed: MessageRow, order: string[], carrier: string | null, result: SubmitResult): { settlement: SendSettlement; delaySeconds?: number } {
  const via = carrier ?? claimed.carrier;
  if (result.ok) {
    const ids = result.carrierMessageIds;
    return {
      settlement: {
        id: claimed.id,
        status: "sent",
        carrier: via,
        carrierMessageId: ids[0],
        parts: ids.length,
        submittedAt: null,
        errorCode: null,
        errorMessage: null,
        detail: `attempt ${claimed.attempts} via ${via}: accepted as ${ids.join(", ")}`,
        partIds: ids,
      },
    };
  }
  if (result.unknown) {
    log.warn("submit_unconfirmed", { message_id: claimed.id, carrier: via });
    return {
      settlement: {
        id: claimed.id,
        status: "sent",
        carrier: via,
        submittedAt: null,
        errorCode: SUBMIT_UNCONFIRMED,
        errorMessage: result.message,
        detail: `attempt ${claimed.attempts} via ${via}: ${result.message} Not sent again; waiting for its receipt.`,
      },
    };
  }
  const attempt = `attempt ${claimed.attempts} via ${via} failed (${result.code}: ${result.message})`;
  if (result.retryable && claimed.attempts < MAX_SEND_ATTEMPTS) {
    // Another carrier is tried at once; the same one again (or all of them cooling down) after a backoff.
    const next = carrier === null ? null : nextCarrier(order, carrier, () => false);
    const failover = next !== null && next !== carrier;
    const delaySeconds = failover ? FAILOVER_DELAY_SECONDS : retryDelaySeconds(claimed.attempts);
    return {
      settlement: {
        id: claimed.id,
        status: "queued",
        carrier: via,
        errorCode: result.code,
        errorMessage: result.message,
        detail: `${attempt}; retrying${failover ? ` via ${next}` : ""} in ${delaySeconds}s`,
      },
      delaySeconds,
    };
  }
  const reason = result.retryable ? `gave up after ${claimed.attempts} attempts: ${result.message}` : result.message;
  log.warn("send_failed", { message_id: claimed.id, carrier: via, code: result.code, attempts: claimed.attempts });
  return {
    settlement: { id: claimed.id, status: "failed", carrier: via, errorCode: result.code, errorMessage: reason, detail: result.retryable ? `${attempt}; no attempts left` : attempt },
  };
}

/** The part rows of the sent settlements, one per carrier id. */
function partRows(settlements: readonly SendSettlement[], now: number): MessagePartRow[] {
  return settlements.flatMap((s) =>
    (s.partIds ?? []).map((id, i) => ({ carrier: s.carrier!, carrierKey: canonicalId(id), messageId: s.id, part: i + 1, status: "sent" as const, updatedAt: now })),
  );
}

/**
 * Held receipts for the given parts (a receipt that came before its id was recorded), and those naming by
 * reference a message just left unconfirmed (its submit answer lost), oldest first.
 */
function heldReceiptsFor(parts: readonly MessagePartRow[], unconfirmed: readonly string[]) {
  const keys = parts.flatMap((part) => receiptIdCandidates(part.carrierKey, acrossBases(part.carrier)).map((key) => ({ carrier: part.carrier, key })));
  return sql`SELECT * FROM (
      SELECT ${columnsAs(carrierReceipts, "r")} FROM json_each(${JSON.stringify(keys)}) AS k
        CROSS JOIN carrier_receipts r ON r.carrier = k.value ->> '$.carrier' AND r.carrier_key = k.value ->> '$.key' AND r.result = 'held'
      UNION
      SELECT ${columnsAs(carrierReceipts, "r")} FROM json_each(${JSON.stringify(unconfirmed)}) AS u
        CROSS JOIN carrier_receipts r ON r.reference = u.value AND r.result = 'held')
    ORDER BY receivedAt`;
}

export interface SettledBatch {
  /** The messages the settlements moved, as they are now. */
  moved: MessageRow[];
}

/**
 * Records a batch's outcomes in one D1 batch: every message's move (only from `sending`) with its event,
 * the tenant events, the parts of sent messages, anything `extra`, and a look for receipts that
 * came before their ids, which are then applied. Safe to repeat: a message already moved is not moved again.
 */
export async function settleSends(
  db: Db,
  settlements: readonly SendSettlement[],
  extra: readonly SQL[],
  now: number,
  events?: EventOutbox,
  options: { orWhere?: SQL } = {},
): Promise<SettledBatch> {
  if (settlements.length === 0 && extra.length === 0) return { moved: [] };
  const parts = partRows(settlements, now);
  const unconfirmed = settlements.filter((s) => s.errorCode === SUBMIT_UNCONFIRMED && !s.partIds).map((s) => s.id);
  const lookForHeld = parts.length > 0 || unconfirmed.length > 0;
  // `submitted_at` is the settle time, so a settle replayed later from the queue still dates the submit.
  const rows = settlements.map(({ partIds: _, ...s }) => (s.status === "sent" ? { ...s, submittedAt: s.submittedAt ?? now } : s));
  checkpoint("record_sent");
  const results = await runBatch(db, [
    ...(parts.length ? [insertJsonRows(messageParts, parts)] : []),
    ...(rows.length ? settleStatements(rows, ["sending"], now, options.orWhere) : []),
    ...extra,
    ...(lookForHeld ? [heldReceiptsFor(parts, unconfirmed)] : []),
  ]);
  checkpoint("record_sent", "after");
  const offset = parts.length ? 1 : 0;
  const moved = rows.length ? (results[offset] as MessageRow[]) : [];
  if (rows.length) events?.add(toFanOut(results[offset + 2] as { id: string; fanned_out_at: number | null }[]));
  const held = lookForHeld ? (results.at(-1) as CarrierReceiptRow[]) : [];
  if (held.length > 0) {
    await applyReceipts(db, held, { store: false, events, now });
    log.info("held_receipts_applied", { count: held.length });
  }
  return { moved };
}

export interface DeliveryReport {
  outcomes: Map<string, SendOutcome>;
  /** Failed or canceled messages of the batch whose refund is due (new failures, and ones a crash left unrefunded). */
  refunds: MessageRow[];
}

/**
 * Processes a consumer batch of send jobs in three round trips to its shard when every carrier takes its messages
 * in one wave (one more per further wave): one conditional claim for all of them (`queued → sending`, so a
 * redelivered or duplicated job finds nothing to claim and submits nothing), the hand-off of each wave right
 * before its concurrent submits (at most SUBMITS_PER_CARRIER at once per carrier), then one batch that records
 * every outcome. The breakers are read and written on the control database beside them. If that record fails, the outcomes go to `plan.settleLater` (a queue) so a submit is never
 * forgotten; if that fails too, the messages stay `sending` for the reconciler (src/cron/reconcile-sending.ts).
 */
export async function deliverBatch(db: Db, ids: readonly string[], plan: CarrierPlan, now = Date.now()): Promise<DeliveryReport> {
  const unique = [...new Set(ids)];
  checkpoint("claim");
  const [claimedRows, , owed] = await runBatch(db, claimStatements(unique, now));
  checkpoint("claim", "after");
  const claimed = claimedRows as MessageRow[];
  // The breakers are in the control database: read once, and only when a claimed message may go to a carrier that has one.
  const guarded = claimed.some((message) => plan.order(message).some((carrier) => !WITHOUT_BREAKER.includes(carrier)));
  const healthRows = guarded ? await plan.control.all<CarrierHealthRow>(CarrierBreakers.query) : [];
  const breakers = CarrierBreakers.from(plan.control, healthRows);
  const tries = await submitInWaves(db, plan, breakers, claimed, now);

  const settlements = tries.map((t) => t.settlement);
  let settled: SettledBatch;
  try {
    // What the batch saw of each carrier is written beside the outcomes; losing it only delays a breaker.
    const [outcome] = await Promise.all([
      settleSends(db, settlements, [], now, plan.events),
      breakers.flush(now).catch((error: unknown) => log.error("breaker_write_failed", { error: String(error) })),
    ]);
    settled = outcome;
  } catch (error) {
    if (!plan.settleLater || settlements.length === 0) throw error;
    // The carriers have these messages: what they said must not be lost with this invocation.
    log.error("settle_failed", { count: settlements.length, error: String(error) });
    await plan.settleLater(settlements);
    settled = { moved: [] };
  }

  const outcomes = new Map<string, SendOutcome>();
  const moved = new Map(settled.moved.map((row) => [row.id, row]));
  for (const { settlement, delaySeconds } of tries) {
    const row = moved.get(settlement.id);
    if (settlement.status === "queued") outcomes.set(settlement.id, { kind: "retry", delaySeconds: delaySeconds! });
    else if (row) outcomes.set(settlement.id, { kind: settlement.status as "sent" | "failed", message: row });
    else outcomes.set(settlement.id, { kind: "skipped" });
  }
  for (const id of unique) if (!outcomes.has(id)) outcomes.set(id, { kind: "skipped" });
  const refunds = [...(owed as MessageRow[]), ...settled.moved.filter((row) => row.status === "failed")];
  return { outcomes, refunds };
}

/** One message's send job (tests and single-message callers): the batch path with a batch of one. */
export async function deliver(db: Db, messageId: string, plan: CarrierPlan, now = Date.now()): Promise<SendOutcome> {
  return (await deliverBatch(db, [messageId], plan, now)).outcomes.get(messageId)!;
}

/**
 * Send jobs that reached the dead-letter queue: each message still waiting in `queued`, or claimed but never
 * handed to a carrier, is failed for good, in one statement. One handed to a carrier may have reached it, so it
 * is the reconciler's.
 */
export async function failDeadLettered(db: Db, messageIds: readonly string[], events?: EventOutbox): Promise<MessageRow[]> {
  const now = Date.now();
  const settlements: Settlement[] = [...new Set(messageIds)].map((id) => ({
    id,
    status: "failed",
    errorCode: "dead_lettered",
    errorMessage: "The send job exhausted its queue retries.",
    detail: "dead_lettered",
  }));
  const neverHanded = sql`(messages.status = 'sending' AND messages.handed_at IS NULL)`;
  const [moved, , created] = await runBatch(db, settleStatements(settlements, ["queued"], now, neverHanded));
  events?.add(toFanOut(created as { id: string; fanned_out_at: number | null }[]));
  return moved as MessageRow[];
}
