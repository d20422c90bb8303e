import { sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { runBatch } from "../db/statements";
import { DEFAULT_QUIET_HOURS, type QuietHours } from "../domain/quiet-hours";
import { sendAtProblem } from "../domain/schedule";
import { ApiError } from "../lib/errors";
import { log } from "../lib/log";
import { enqueueSends } from "../queues/jobs";

/** Messages claimed per statement, and per cron run: a larger backlog drains over the next minutes. */
export const DISPATCH_CHUNK = 1_000;
export const DISPATCH_PER_RUN = 10_000;

/** `send_at` as milliseconds, or a 422 naming the field when it is not 1 minute to 30 days ahead. */
export function parseSendAt(value: string | undefined, now: number, path = "body.send_at"): number | null {
  if (value === undefined) return null;
  const at = Date.parse(value);
  const problem = sendAtProblem(at, now);
  if (problem) throw new ApiError("validation_failed", `send_at ${problem}.`, { errors: [{ path, message: problem }] });
  return at;
}

export const quietHoursOf = (settings: QuietHours | null | undefined): QuietHours => settings ?? DEFAULT_QUIET_HOURS;


/**
 * Moves due `scheduled` messages to `queued`, oldest first, in chunks, and enqueues them. Each chunk
 * is one conditional UPDATE (only rows still `scheduled` move), so runs that overlap never claim a
 * message twice; its events are written in the same D1 transaction. If the enqueue fails, the
 * stuck-message sweeper enqueues the messages a few minutes later. Returns how many it dispatched.
 */
export async function dispatchDue(db: Db, queue: Queue, now: number, limit = DISPATCH_PER_RUN): Promise<number> {
  let dispatched = 0;
  while (dispatched < limit) {
    const size = Math.min(DISPATCH_CHUNK, limit - dispatched);
    // `status = 'scheduled'` is written out so SQLite uses the partial index on due messages.
    const [claimed] = await runBatch<{ id: string }>(db, [
      sql`
        UPDATE messages SET status = 'queued', version = version + 1, updated_at = ${now}
        WHERE id IN (SELECT id FROM messages WHERE status = 'scheduled' AND send_at <= ${now} ORDER BY send_at LIMIT ${size})
          AND status = 'scheduled'
        RETURNING id`,
      sql`
        INSERT INTO message_events (message_id, seq, status, at, detail)
        SELECT id, version, 'queued', ${now}, 'due: dispatched' FROM messages
        WHERE status = 'queued' AND updated_at = ${now} AND send_at IS NOT NULL AND send_at <= ${now}
        ON CONFLICT DO NOTHING`,
    ]);
    const ids = claimed!.map((row) => row.id);
    if (ids.length === 0) break;
    dispatched += ids.length;
    try {
      await enqueueSends(queue, ids);
    } catch (error) {
      log.warn("enqueue_failed", { count: ids.length, error: String(error) });
    }
    if (ids.length < size) break;
  }
  if (dispatched > 0) log.info("dispatched_scheduled", { count: dispatched });
  return dispatched;
}
