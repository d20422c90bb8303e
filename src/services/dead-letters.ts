// Jobs a queue gave up on, kept for an operator to replay. Only the receipts queue's dead letters are kept
// here: its jobs are verified carrier receipts, which nothing else holds. (The send queue's dead letters are
// settled by their own consumer: each message fails and is refunded; docs/DEPLOY.md.)
import { and, asc, count, eq, inArray, lt, min } from "drizzle-orm";
import type { Db } from "../db/client";
import { deadLetters } from "../db/schema";
import { decryptTexts, encryptTexts } from "../lib/data-crypto";
import { newId } from "../lib/ids";

/** The queues whose dead letters are kept, and the queue each is replayed into. */
export const REPLAYABLE = { "sms-receipts-dlq": "RECEIPT_QUEUE" } as const satisfies Record<string, keyof Env>;
export type ReplayableQueue = keyof typeof REPLAYABLE;
export const isReplayable = (queue: string): queue is ReplayableQueue => Object.hasOwn(REPLAYABLE, queue);

/** Dead letters are sealed under this context (they belong to no one tenant). */
const CONTEXT = "platform:dead-letters";
/** How long a dead letter waits for a replay before the cron purges it. */
export const DEAD_LETTER_RETENTION_DAYS = 30;

/** Keeps a consumer batch's dead letters, sealed, in one statement. */
export async function keepDeadLetters(env: Pick<Env, "DATA_ENCRYPTION_KEY">, control: Db, queue: ReplayableQueue, bodies: readonly unknown[], now = Date.now()): Promise<void> {
  if (bodies.length === 0) return;
  const sealed = await encryptTexts(env.DATA_ENCRYPTION_KEY, CONTEXT, bodies.map((body) => JSON.stringify(body)));
  await control.insert(deadLetters).values(sealed.map((body) => ({ id: newId("deadLetter", now), queue, body, createdAt: now })));
}

export async function deadLetterCounts(control: Db): Promise<{ queue: string; count: number; oldestAt: number | null }[]> {
  const rows = await control.select({ queue: deadLetters.queue, count: count(), oldestAt: min(deadLetters.createdAt) }).from(deadLetters).groupBy(deadLetters.queue);
  return Object.keys(REPLAYABLE).map((queue) => rows.find((row) => row.queue === queue) ?? { queue, count: 0, oldestAt: null });
}

/**
 * Sends up to `limit` of a queue's dead letters, oldest first, back to the queue they came from, then deletes
 * them. A replayed job is applied as any other (receipts are idempotent), so a crash between the two only
 * replays some twice.
 */
export async function replayDeadLetters(env: Env, control: Db, queue: ReplayableQueue, limit: number): Promise<{ replayed: number; remaining: number }> {
  const rows = await control.select().from(deadLetters).where(eq(deadLetters.queue, queue)).orderBy(asc(deadLetters.id)).limit(limit);
  if (rows.length > 0) {
    const bodies = await decryptTexts(env.DATA_ENCRYPTION_KEY, CONTEXT, rows.map((row) => row.body));
    await (env[REPLAYABLE[queue]] as Queue).sendBatch(bodies.map((body) => ({ body: JSON.parse(body) })));
    await control.delete(deadLetters).where(inArray(deadLetters.id, rows.map((row) => row.id)));
  }
  const [left] = await control.select({ n: count() }).from(deadLetters).where(eq(deadLetters.queue, queue));
  return { replayed: rows.length, remaining: left?.n ?? 0 };
}

/** The dead letters older than their retention, deleted (the cron, on the control database). */
export async function purgeDeadLetters(control: Db, now: number): Promise<number> {
  const gone = await control
    .delete(deadLetters)
    .where(and(lt(deadLetters.createdAt, now - DEAD_LETTER_RETENTION_DAYS * 86_400_000)))
    .returning({ id: deadLetters.id });
  return gone.length;
}
