import { sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { log } from "../lib/log";
import { enqueueBatchStep } from "../queues/jobs";

/** A batch step not seen for this long lost its job (a paced step waits at most a minute). */
export const BATCH_STALLED_AFTER_MS = 5 * 60 * 1000;
/** Batches handled per cron run and kind of work. */
const BATCHES_PER_RUN = 100;

/**
 * Starts scheduled batches that are due: `scheduled → expanding` is a conditional update, so
 * overlapping runs start each batch once.
 */
export async function startDueBatches(db: Db, queue: Queue, now: number): Promise<number> {
  const started = await db.all<{ id: string }>(sql`
    UPDATE batches SET status = 'expanding', updated_at = ${now}
    WHERE id IN (SELECT id FROM batches WHERE status = 'scheduled' AND send_at <= ${now} ORDER BY send_at LIMIT ${BATCHES_PER_RUN})
      AND status = 'scheduled'
    RETURNING id`);
  for (const { id } of started) await enqueueBatchStep(queue, id, 0);
  if (started.length > 0) log.info("batches_started", { count: started.length });
  return started.length;
}

/**
 * Every filter is inside the LIMITed selection: filtering after it would let 100 rows that need nothing (drained
 * canceled batches, batches still sending) hide every row behind them for good.
 *
 * Restarts batch work whose chain of jobs broke (an enqueue failed, or a job was lost): expanding
 * batches, and canceled ones with messages left to cancel, untouched for BATCH_STALLED_AFTER_MS.
 * Touching `updated_at` first, conditionally, keeps overlapping runs from restarting one twice; a
 * duplicate step would change nothing anyway, since each applies only at the position it started from.
 */
export async function restartStalledBatches(db: Db, queue: Queue, now: number): Promise<number> {
  const stalled = await db.all<{ id: string; position: number }>(sql`
    UPDATE batches SET updated_at = ${now}
    WHERE id IN (
      SELECT id FROM batches WHERE status IN ('expanding', 'canceled') AND updated_at < ${now - BATCH_STALLED_AFTER_MS}
        AND (status = 'expanding' OR drained_at IS NULL)
      ORDER BY updated_at LIMIT ${BATCHES_PER_RUN})
      AND updated_at < ${now - BATCH_STALLED_AFTER_MS} AND (status = 'expanding' OR drained_at IS NULL)
    RETURNING id, position`);
  for (const { id, position } of stalled) await enqueueBatchStep(queue, id, position);
  if (stalled.length > 0) log.warn("batches_restarted", { count: stalled.length });
  return stalled.length;
}

/** Marks `sending` batches `completed` once none of their messages is left to submit. */
export async function completeBatches(db: Db, now: number): Promise<number> {
  const done = await db.all<{ id: string }>(sql`
    UPDATE batches SET status = 'completed', completed_at = ${now}, updated_at = ${now}
    WHERE id IN (
      SELECT b.id FROM batches b WHERE b.status = 'sending'
        AND NOT EXISTS (SELECT 1 FROM messages WHERE batch_id = b.id AND status IN ('scheduled', 'queued', 'sending'))
      ORDER BY b.updated_at LIMIT ${BATCHES_PER_RUN})
      AND status = 'sending'
      AND NOT EXISTS (SELECT 1 FROM messages WHERE batch_id = batches.id AND status IN ('scheduled', 'queued', 'sending'))
    RETURNING id`);
  return done.length;
}
