import { enqueueDeliveries } from "../queues/jobs";
import { sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { log } from "../lib/log";
import { eventIdSql } from "../services/events";
import { dueWebhookWork, fanOut } from "../services/webhooks";

/**
 * `batch.completed` for every batch that completed in the last hour and has none yet: batches complete on
 * several paths (the cron, an expansion that ends with nothing to send), and this one statement covers them all.
 */
export async function recordBatchCompletions(db: Db, now: number): Promise<number> {
  const created = await db.all<{ id: string }>(sql`
    INSERT INTO events (id, tenant_id, mode, type, source, data, created_at)
    SELECT ${eventIdSql(now)}, b.tenant_id, b.mode, 'batch.completed', 'batch:' || b.id,
      json_object('batch_id', b.id, 'name', b.name, 'status', b.status, 'total', b.total, 'accepted', b.accepted, 'rejected', b.rejected,
        'stop', CASE WHEN b.stop_code IS NULL THEN NULL ELSE json_object('code', b.stop_code, 'detail', b.stop_detail) END,
        'completed_at', strftime('%Y-%m-%dT%H:%M:%fZ', b.completed_at / 1000.0, 'unixepoch')),
      ${now}
    FROM batches b WHERE b.status = 'completed' AND b.updated_at > ${now - 60 * 60 * 1000}
    ON CONFLICT DO NOTHING RETURNING id`);
  return created.length;
}

/** Fans out events left without deliveries and (re)starts every delivery whose try is due. */
export async function dispatchWebhooks(db: Db, queue: Queue, now: number): Promise<number> {
  const work = await dueWebhookWork(db, now);
  // Due from the real clock: a delivery made "now" must be claimable by the consumer that takes it.
  const fresh = work.events.length ? await fanOut(db, work.events) : [];
  const ids = [...new Set([...fresh, ...work.deliveries])];
  await enqueueDeliveries(queue, ids.map((id) => ({ id })));
  if (ids.length > 0) log.info("webhooks_dispatched", { deliveries: ids.length, events_fanned_out: work.events.length });
  return ids.length;
}
