import { sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { runBatch } from "../db/statements";
import { KEY_MODES, type KeyMode } from "../domain/api-key";
import { meterFor } from "../meter/client";

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
  erased: ErasureCounts;
  /** The number's block (an opt-out or the tenant's own), kept as a salted hash so it still blocks. */
  block_kept_as_hash: boolean;
  allowlist_removed: boolean;
}

const none = (): ErasureCounts => ({ messages: 0, inbound: 0, contacts: 0, batch_recipients: 0, events: 0, receipts: 0 });

/**
 * Erases a number from one tenant's records on its shard, in one D1 batch (one transaction): the number and
 * body of its messages, their status events' data and their receipts' raw payloads (which name it); its
 * replies' sender, text and payload, and their events; its contact (out of every group); its place in batch
 * recipient lists. Everything is found by the tenant's own indexes. Running it again changes nothing.
 */
async function eraseOnShard(db: Db, tenantId: string, modes: readonly KeyMode[], number: string): Promise<ErasureCounts> {
  const inModes = sql`(SELECT value FROM json_each(${JSON.stringify(modes)}))`;
  const mine = sql`tenant_id = ${tenantId} AND "to" = ${number} AND mode IN ${inModes}`;
  const stub = JSON.stringify({ erased: true });
  const results = await runBatch(db, [
    // Events first, while their messages and replies can still be found by the number.
    sql`UPDATE events SET data = ${stub} WHERE id IN (
        SELECT e.id FROM messages m CROSS JOIN events e ON e.source >= m.id || ':' AND e.source < m.id || ';' WHERE m.tenant_id = ${tenantId} AND m."to" = ${number} AND m.mode IN ${inModes}
        UNION ALL
        SELECT e.id FROM inbound_messages i CROSS JOIN events e ON e.source = 'inbound:' || i.id
          WHERE i.tenant_id = ${tenantId} AND i.mode IN ${inModes} AND i."from" = ${number})
      AND data <> ${stub} RETURNING id`,
    sql`UPDATE carrier_receipts SET raw = ${ERASED} WHERE message_id IN (SELECT id FROM messages WHERE ${mine}) AND raw <> ${ERASED} RETURNING id`,
    sql`UPDATE messages SET "to" = ${ERASED}, body = ${ERASED} WHERE ${mine} RETURNING id`,
    sql`UPDATE inbound_messages SET "from" = ${ERASED}, text = ${ERASED}, payload = NULL
      WHERE tenant_id = ${tenantId} AND mode IN ${inModes} AND "from" = ${number} RETURNING id`,
    sql`DELETE FROM group_members WHERE contact_id IN (SELECT id FROM contacts WHERE tenant_id = ${tenantId} AND phone = ${number})`,
    sql`DELETE FROM contacts WHERE tenant_id = ${tenantId} AND phone = ${number} RETURNING id`,
    sql`UPDATE batch_items SET "to" = ${ERASED}, params = NULL
      WHERE batch_id IN (SELECT id FROM batches WHERE tenant_id = ${tenantId} AND mode IN ${inModes}) AND "to" = ${number} RETURNING batch_id`,
    sql`UPDATE batch_rejects SET "to" = ${ERASED}
      WHERE batch_id IN (SELECT id FROM batches WHERE tenant_id = ${tenantId} AND mode IN ${inModes}) AND "to" = ${number} RETURNING batch_id`,
  ]);
  const [events, receipts, messages, inbound, , contacts, items, rejects] = results.map((rows) => rows.length);
  return { messages: messages!, inbound: inbound!, contacts: contacts!, batch_recipients: items! + rejects!, events: events!, receipts: receipts! };
}

/**
 * Erases a number's personal data from one tenant: its shard's records of `modes` (a key erases its own
 * mode's traffic; contacts belong to no mode), then its meter, which serves both modes (the block kept as a
 * hash, the allow-list entry and per-recipient send history gone). Idempotent.
 */
export async function eraseRecipient(env: Pick<Env, "METER">, db: Db, tenantId: string, modes: readonly KeyMode[], number: string): Promise<ErasureResult> {
  const erased = await eraseOnShard(db, tenantId, modes, number);
  const meter = await meterFor(env, tenantId).erase(number);
  return { number, erased, block_kept_as_hash: meter.block_kept_as_hash, allowlist_removed: meter.allowlist_removed };
}

/** The operator's erasure: every tenant's, in turns of a few at once (each is a shard batch and a meter call). */
export async function eraseEverywhere(
  env: Pick<Env, "METER">,
  tenants: readonly { id: string; db: Db }[],
  number: string,
): Promise<{ number: string; tenants: number; erased: ErasureCounts; blocks_kept_as_hash: number }> {
  const total = none();
  let blocks = 0;
  let touched = 0;
  const AT_ONCE = 10;
  for (let i = 0; i < tenants.length; i += AT_ONCE) {
    const results = await Promise.all(tenants.slice(i, i + AT_ONCE).map(({ id, db }) => eraseRecipient(env, db, id, KEY_MODES, number)));
    for (const result of results) {
      const counts = Object.entries(result.erased) as [keyof ErasureCounts, number][];
      for (const [kind, n] of counts) total[kind] += n;
      if (result.block_kept_as_hash) blocks += 1;
      if (counts.some(([, n]) => n > 0) || result.block_kept_as_hash || result.allowlist_removed) touched += 1;
    }
  }
  return { number, tenants: touched, erased: total, blocks_kept_as_hash: blocks };
}
