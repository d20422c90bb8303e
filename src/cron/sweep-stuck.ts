import { and, eq, inArray, lt } from "drizzle-orm";
import type { Db } from "../db/client";
import { messages } from "../db/schema";
import { log } from "../lib/log";
import { enqueueSends } from "../queues/jobs";

/** A message `queued` for longer than this was most likely never enqueued (or its job was lost). */
export const STUCK_AFTER_MS = 3 * 60 * 1000;
/** Per cron run; a larger backlog drains over the following minutes. */
export const SWEEP_LIMIT = 500;

/**
 * Re-enqueues messages left `queued` too long. Touching `updated_at` first (conditionally) keeps
 * overlapping runs from both re-enqueuing one message; a duplicate job would be harmless anyway,
 * since the send consumer claims before it submits.
 */
export async function sweepStuck(db: Db, queue: Queue, now = Date.now()): Promise<number> {
  const stuck = await db
    .select({ id: messages.id, updatedAt: messages.updatedAt })
    .from(messages)
    .where(and(eq(messages.status, "queued"), lt(messages.updatedAt, now - STUCK_AFTER_MS)))
    .orderBy(messages.updatedAt)
    .limit(SWEEP_LIMIT);
  if (stuck.length === 0) return 0;

  let swept = 0;
  // Chunks of 50 stay far below D1's limit of 100 bound parameters per statement.
  for (let i = 0; i < stuck.length; i += 50) {
    const chunk = stuck.slice(i, i + 50);
    const claimed = await db
      .update(messages)
      .set({ updatedAt: now })
      .where(and(inArray(messages.id, chunk.map((m) => m.id)), eq(messages.status, "queued"), lt(messages.updatedAt, now - STUCK_AFTER_MS)))
      .returning({ id: messages.id });
    if (claimed.length === 0) continue;
    await enqueueSends(queue, claimed.map(({ id }) => id));
    swept += claimed.length;
  }
  log.info("swept_stuck_messages", { count: swept });
  return swept;
}

