import { sql, type SQL } from "drizzle-orm";
import type { Db } from "../db/client";
import { runBatch } from "../db/statements";
import { KEY_MODES, type KeyMode } from "../domain/api-key";
import { checkpoint } from "../lib/faults";
import { meterFor } from "../meter/client";
import { refundMessages } from "./billing";

/** What an erased field reads as: the record stays (its status, price and times are the tenant's books), the person is gone. */
export const ERASED = "[erased]";

/** What an erasure changed for one tenant, by kind of record. */
export interface ErasureCounts {
  messages: number;
  inbound: number;
  contacts: number;
  batch_recipients: number;
  events: number;
  receipts: number;
}

export interface ErasureResult {
  number: string;
  /** False when the number had more records than one request erases: call again to finish. */
  complete: boolean;
  erased: ErasureCounts;
  /** The number's block (an opt-out or the tenant's own), kept as a salted hash so it still blocks. */
  block_kept_as_hash: boolean;
  allowlist_removed: boolean;
}

const none = (): ErasureCounts => ({ messages: 0, inbound: 0, contacts: 0, batch_recipients: 0, events: 0, receipts: 0 });

/** Records of one kind a pass changes at most: a pass is one D1 batch, far inside D1's 30 s a query. */
export const ERASE_PASS = 1_000;
/** Passes one request makes; a number with more records is finished by calling again (`complete: false`). */
export const ERASE_PASSES = 20;

/**
 * One pass over a number in one tenant's records on its shard, one D1 batch (one transaction): the number and
 * body of up to ERASE_PASS of its messages, their status events' data and their receipts' raw payloads (which
 * name it); as many of its replies' sender, text and payload, and their events; its contact (out of every
 * group); its place in batch recipient lists. Everything is found by the tenant's own indexes, the messages in
 * id order, so each statement of the pass takes the same ones.
 */
async function erasePass(db: Db, tenantId: string, modes: readonly KeyMode[], number: string): Promise<ErasureCounts> {
  const results = await runBatch(db, erasePassStatements(tenantId, modes, number));
  const [events, receipts, , messages, inbound, , contacts, items, , rejects] = results.map((rows) => rows.length);
  return { messages: messages!, inbound: inbound!, contacts: contacts!, batch_recipients: items! + rejects!, events: events!, receipts: receipts! };
}

/** One pass's statements, in order; each finds its rows by an index (test/db/query-plans.test.ts). */
export function erasePassStatements(tenantId: string, modes: readonly KeyMode[], number: string): SQL[] {
  const inModes = sql`(SELECT value FROM json_each(${JSON.stringify(modes)}))`;
  const someMessages = sql`SELECT id FROM messages WHERE tenant_id = ${tenantId} AND "to" = ${number} AND mode IN ${inModes} ORDER BY id LIMIT ${ERASE_PASS}`;
  const someReplies = sql`SELECT id FROM inbound_messages WHERE tenant_id = ${tenantId} AND mode IN ${inModes} AND "from" = ${number} ORDER BY id LIMIT ${ERASE_PASS}`;
  const theirBatches = sql`SELECT id FROM batches WHERE tenant_id = ${tenantId} AND mode IN ${inModes}`;
  const stub = JSON.stringify({ erased: true });
  // Carriers' error texts and event details may quote the number (E.164, with or without its +).
  const digits = number.replace(/^\+/, "");
  return [
    // Events first, while their messages and replies can still be found by the number.
    sql`UPDATE events SET data = ${stub} WHERE id IN (
        SELECT e.id FROM (${someMessages}) AS m CROSS JOIN events e ON e.source >= m.id || ':' AND e.source < m.id || ';'
        UNION ALL
        SELECT e.id FROM (${someReplies}) AS i CROSS JOIN events e ON e.source = 'inbound:' || i.id)
      AND data <> ${stub} RETURNING id`,
    sql`UPDATE carrier_receipts SET raw = ${ERASED} WHERE message_id IN (${someMessages}) AND raw <> ${ERASED} RETURNING id`,
    sql`UPDATE message_events SET detail = ${ERASED} WHERE message_id IN (${someMessages}) AND instr(detail, ${digits}) > 0`,
    sql`UPDATE messages SET "to" = ${ERASED}, body = ${ERASED}, error_message = CASE WHEN error_message IS NULL THEN NULL ELSE ${ERASED} END
      WHERE id IN (${someMessages}) RETURNING id`,
    sql`UPDATE inbound_messages SET "from" = ${ERASED}, text = ${ERASED}, payload = NULL WHERE id IN (${someReplies}) RETURNING id`,
    sql`DELETE FROM group_members WHERE contact_id IN (SELECT id FROM contacts WHERE tenant_id = ${tenantId} AND phone = ${number})`,
    sql`DELETE FROM contacts WHERE tenant_id = ${tenantId} AND phone = ${number} RETURNING id`,
    sql`UPDATE batch_items SET "to" = ${ERASED}, params = NULL WHERE rowid IN (
        SELECT rowid FROM batch_items WHERE batch_id IN (${theirBatches}) AND "to" = ${number} LIMIT ${ERASE_PASS}) RETURNING batch_id`,
    // An opt-out's lift names the number in its event (source `opt_out:<number>:<time>`, by the unique source index).
    sql`UPDATE events SET data = ${stub} WHERE tenant_id = ${tenantId} AND source >= ${`opt_out:${number}:`} AND source < ${`opt_out:${number};`}`,
    sql`UPDATE batch_rejects SET "to" = ${ERASED}, detail = ${ERASED} WHERE rowid IN (
        SELECT rowid FROM batch_rejects WHERE batch_id IN (${theirBatches}) AND "to" = ${number} LIMIT ${ERASE_PASS}) RETURNING batch_id`,
  ];
}

/** Passes until a pass finds less than a full pass of every kind, or ERASE_PASSES have run. */
async function eraseOnShard(db: Db, tenantId: string, modes: readonly KeyMode[], number: string): Promise<{ erased: ErasureCounts; complete: boolean }> {
  const erased = none();
  for (let pass = 0; pass < ERASE_PASSES; pass += 1) {
    const counts = await erasePass(db, tenantId, modes, number);
    for (const kind of Object.keys(erased) as (keyof ErasureCounts)[]) erased[kind] += counts[kind];
    if (counts.messages < ERASE_PASS && counts.inbound < ERASE_PASS && counts.batch_recipients < ERASE_PASS) return { erased, complete: true };
  }
  return { erased, complete: false };
}

/** The modes an erasure reaches: a live key's or the operator's, both; a test key's, its own test traffic only. */
export const erasureModes = (mode: KeyMode | "operator"): readonly KeyMode[] => (mode === "test" ? ["test"] : KEY_MODES);

/**
 * The number's messages not yet handed to a carrier (`scheduled`, `queued`) are canceled and refunded first:
 * erased, they would otherwise go out to `[erased]`. Conditional, so one a consumer claimed meanwhile goes out.
 */
async function cancelPendingTo(env: Pick<Env, "METER">, db: Db, tenantId: string, modes: readonly KeyMode[], number: string): Promise<number> {
  const now = Date.now();
  const inModes = sql`(SELECT value FROM json_each(${JSON.stringify(modes)}))`;
  const [canceled = []] = await runBatch<Parameters<typeof refundMessages>[2][number]>(db, [
    sql`UPDATE messages SET status = 'canceled', version = version + 1, updated_at = ${now}
      WHERE id IN (SELECT id FROM messages WHERE tenant_id = ${tenantId} AND mode IN ${inModes} AND "to" = ${number} AND status IN ('scheduled', 'queued'))
        AND status IN ('scheduled', 'queued')
      RETURNING id, tenant_id AS tenantId, status, error_code AS errorCode, price, carrier_message_id AS carrierMessageId, refunded_at AS refundedAt`,
    sql`INSERT INTO message_events (message_id, seq, status, at, detail)
      SELECT id, version, 'canceled', ${now}, 'recipient erased' FROM messages
      WHERE tenant_id = ${tenantId} AND mode IN ${inModes} AND "to" = ${number} AND status = 'canceled' AND updated_at = ${now}
      ON CONFLICT DO NOTHING`,
  ]);
  await refundMessages(env, db, canceled);
  return canceled.length;
}

/**
 * Erases a number's personal data from one tenant: first its unsent messages are canceled and refunded, then its
 * shard's records of `modes` are erased (contacts belong to no mode), then, when the erasure reaches live data
 * (a live key, the operator), its meter, which serves both modes (the block kept as a hash, the allow-list entry
 * and per-recipient send history gone). Idempotent.
 */
export async function eraseRecipient(env: Pick<Env, "METER">, db: Db, tenantId: string, modes: readonly KeyMode[], number: string): Promise<ErasureResult> {
  checkpoint("erasure");
  await cancelPendingTo(env, db, tenantId, modes, number);
  const { erased, complete } = await eraseOnShard(db, tenantId, modes, number);
  checkpoint("erasure", "after");
  if (!modes.includes("live")) return { number, complete, erased, block_kept_as_hash: false, allowlist_removed: false };
  const meter = await meterFor(env, tenantId).erase(number);
  return { number, complete, erased, block_kept_as_hash: meter.block_kept_as_hash, allowlist_removed: meter.allowlist_removed };
}

/**
 * What no one tenant owns that may hold the number, for the operator's erasure: replies to numbers no tenant has
 * (control database), and carrier receipts held or ignored on any shard because they matched no message (their
 * raw payloads name the handset). Bounded: at most ERASE_PASS of each a call; `complete: false` says call again.
 */
export async function erasePlatformData(everyDb: readonly Db[], control: Db, number: string): Promise<{ inbound: number; receipts: number; complete: boolean }> {
  const digits = number.replace(/^\+/, "");
  const [[unowned = []], receipts] = await Promise.all([
    runBatch<{ id: string }>(control, [
      sql`UPDATE inbound_messages SET "from" = ${ERASED}, text = ${ERASED}, payload = NULL WHERE id IN (
          SELECT id FROM inbound_messages WHERE tenant_id IS NULL AND "from" = ${number} LIMIT ${ERASE_PASS}) RETURNING id`,
    ]),
    Promise.all(
      everyDb.map((db) =>
        db.all<{ id: string }>(sql`UPDATE carrier_receipts SET raw = ${ERASED} WHERE rowid IN (
            SELECT rowid FROM carrier_receipts WHERE message_id IS NULL AND result IN ('held', 'ignored') AND raw <> ${ERASED} AND instr(raw, ${digits}) > 0
            LIMIT ${ERASE_PASS}) RETURNING id`),
      ),
    ),
  ]);
  const counts = receipts.map((rows) => rows.length);
  return { inbound: unowned.length, receipts: counts.reduce((a, b) => a + b, 0), complete: unowned.length < ERASE_PASS && counts.every((n) => n < ERASE_PASS) };
}

/** Tenants one operator request erases from (their shards' passes and a meter call each); the rest on the next page. */
export const ERASE_TENANTS_PER_REQUEST = 50;

/** The operator's erasure over a page of tenants, a few at once (each is its shard's passes and a meter call). */
export async function eraseEverywhere(
  env: Pick<Env, "METER">,
  tenants: readonly { id: string; db: Db }[],
  number: string,
): Promise<{ number: string; complete: boolean; tenants: number; erased: ErasureCounts; blocks_kept_as_hash: number }> {
  const total = none();
  let blocks = 0;
  let touched = 0;
  let complete = true;
  const AT_ONCE = 10;
  for (let i = 0; i < tenants.length; i += AT_ONCE) {
    const results = await Promise.all(tenants.slice(i, i + AT_ONCE).map(({ id, db }) => eraseRecipient(env, db, id, KEY_MODES, number)));
    for (const result of results) {
      const counts = Object.entries(result.erased) as [keyof ErasureCounts, number][];
      for (const [kind, n] of counts) total[kind] += n;
      if (result.block_kept_as_hash) blocks += 1;
      complete &&= result.complete;
      if (counts.some(([, n]) => n > 0) || result.block_kept_as_hash || result.allowlist_removed) touched += 1;
    }
  }
  return { number, complete, tenants: touched, erased: total, blocks_kept_as_hash: blocks };
}
