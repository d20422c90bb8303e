import { sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { runBatch } from "../db/statements";
import { EXPIRE_AFTER_MS } from "../domain/receipts";
import { log } from "../lib/log";
import { eventIdSql, fanOutAt, messageEventData } from "../services/events";

/** Per cron run; a larger backlog expires over the following minutes. */
export const EXPIRE_PER_RUN = 1000;
/** A held receipt whose id no submit has recorded in this long never will: it is marked ignored. */
export const HELD_RECEIPT_TTL_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * Messages still `sent` 72 hours after a carrier accepted them become `expired`: final for billing and
 * stats, though a receipt that comes later still applies. One conditional UPDATE and its events in one
 * D1 transaction, so overlapping runs expire each message once.
 */
export async function expireUnreported(db: Db, now: number): Promise<number> {
  const cutoff = now - EXPIRE_AFTER_MS;
  // `status = 'sent'` is written out so SQLite uses the partial index on messages awaiting a receipt.
  const [expired] = await runBatch<{ id: string }>(db, [
    sql`
      UPDATE messages SET status = 'expired', version = version + 1, updated_at = ${now}
      WHERE id IN (SELECT id FROM messages WHERE status = 'sent' AND submitted_at < ${cutoff} ORDER BY submitted_at LIMIT ${EXPIRE_PER_RUN})
        AND status = 'sent'
      RETURNING id`,
    sql`
      INSERT INTO message_events (message_id, seq, status, at, detail)
      SELECT id, version, 'expired', ${now}, 'no final receipt within 72 hours of submission' FROM messages
      WHERE status = 'expired' AND updated_at = ${now}
      ON CONFLICT DO NOTHING`,
    sql`
      INSERT INTO events (id, tenant_id, mode, type, source, data, created_at, fanned_out_at)
      SELECT ${eventIdSql(now)}, m.tenant_id, m.mode, 'message.status', m.id || ':' || m.version, ${messageEventData("m")}, ${now},
        ${fanOutAt(sql`m.tenant_id`, sql`m.mode`, "message.status", sql`m.callback_url`, now)} FROM messages m
      WHERE m.status = 'expired' AND m.updated_at = ${now}
      ON CONFLICT DO NOTHING`,
    sql`UPDATE carrier_receipts SET result = 'ignored' WHERE result = 'held' AND received_at < ${now - HELD_RECEIPT_TTL_MS}`,
  ]);
  if (expired!.length > 0) log.info("messages_expired", { count: expired!.length });
  return expired!.length;
}
