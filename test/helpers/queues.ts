import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { vi } from "vitest";
import worker from "../../src/index";

/** Runs the Worker's queue handler on one batch, as the queue would, and reports what it acked and retried. */
export async function drive(queue: string, bodies: unknown[]) {
  const batch = createMessageBatch(
    queue,
    bodies.map((body, i) => ({ id: `job-${crypto.randomUUID()}-${i}`, timestamp: new Date(), attempts: 1, body })),
  );
  // getQueueResult reports which messages were retried but not the delay asked for, so record it here.
  const retryDelays = batch.messages.map((message) => vi.spyOn(message, "retry"));
  const ctx = createExecutionContext();
  await worker.queue(batch, env, ctx);
  const result = await getQueueResult(batch, ctx);
  return { ...result, retryDelays: retryDelays.flatMap((spy) => spy.mock.calls.map(([options]) => options?.delaySeconds)) };
}

export const sendJob = (id: string) => ({ kind: "send", message_id: id });
