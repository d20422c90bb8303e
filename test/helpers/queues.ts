import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { vi } from "vitest";
import worker from "../../src/index";

/** The shard holding a row of `table` with this id, if any. */
async function shardHolding(table: "messages" | "batches", id: string): Promise<string | undefined> {
  for (const name of env.SHARDS.split(",")) {
    const d1 = (env as unknown as Record<string, D1Database>)[name]!;
    if (await d1.prepare(`SELECT 1 FROM ${table} WHERE id = ?`).bind(id).first()) return name;
  }
  return undefined;
}

/**
 * A job as its producer would have enqueued it: producers' queue bindings stamp the shard of the message or
 * batch (src/db/shards.ts), so a test's job for a message gets its shard here unless it names one.
 */
export async function stamped(body: unknown): Promise<unknown> {
  const job = body as { kind?: string; shard?: string; message_id?: string; message_ids?: string[]; batch_id?: string };
  if (job.shard || typeof job !== "object" || job === null) return body;
  const shard =
    job.kind === "send" && job.message_id ? await shardHolding("messages", job.message_id)
    : job.kind === "sends" && job.message_ids?.[0] ? await shardHolding("messages", job.message_ids[0])
    : job.kind === "batch" && job.batch_id ? await shardHolding("batches", job.batch_id)
    : undefined;
  return shard ? { ...job, shard } : body;
}

/** Runs the Worker's queue handler on one batch, as the queue would, and reports what it acked and retried. */
export async function drive(queue: string, bodies: unknown[]) {
  const jobs = await Promise.all(bodies.map(stamped));
  const batch = createMessageBatch(
    queue,
    jobs.map((body, i) => ({ id: `job-${crypto.randomUUID()}-${i}`, timestamp: new Date(), attempts: 1, body })),
  );
  // getQueueResult reports which messages were retried but not the delay asked for, so record it here.
  const retryDelays = batch.messages.map((message) => vi.spyOn(message, "retry"));
  const ctx = createExecutionContext();
  await worker.queue(batch, env, ctx);
  const result = await getQueueResult(batch, ctx);
  return { ...result, retryDelays: retryDelays.flatMap((spy) => spy.mock.calls.map(([options]) => options?.delaySeconds)) };
}

export const sendJob = (id: string) => ({ kind: "send", message_id: id });
