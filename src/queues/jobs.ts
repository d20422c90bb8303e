// Every queue job: its schema (a zod discriminated union the consumers parse) and the helper that enqueues it.
import { z } from "zod";
import { SimulatorReceipt } from "../carriers/simulator";
import { chunks, chunksByBytes } from "../lib/chunks";
import { MESSAGE_STATUSES } from "../domain/message-status";
import { PART_STATUSES } from "../domain/receipts";

/**
 * The shard whose database a job's work is on (src/db/shards.ts), stamped on by the producer's queue
 * binding; jobs enqueued before sharding have none and are the control database's.
 */
const shard = z.string().min(1).max(16).optional();

export const SendJob = z.object({ kind: z.literal("send"), message_id: z.string().min(1), shard });
/** Messages sent together (a batch's chunk, the cron's due messages): one queue message for many. */
export const SendsJob = z.object({ kind: z.literal("sends"), message_ids: z.array(z.string().min(1)).min(1).max(100), shard });
export const SimulatorReceiptsJob = z.object({
  kind: z.literal("simulator_receipts"),
  receipts: z.array(SimulatorReceipt).min(1),
});

/**
 * The next step of a batch's work: expand its next chunk (from `position`, the recipients read so far)
 * or, once canceled, cancel its next chunk of messages. `at` names the chunk's messages (see batchMessageId).
 */
export const BatchJob = z.object({
  kind: z.literal("batch"),
  batch_id: z.string().min(1),
  position: z.number().int().min(0),
  at: z.number().int().positive(),
  shard,
});

/** New events to fan out to the tenant's webhooks (and callback URLs), then try at once. */
export const WebhookEventJob = z.object({ kind: z.literal("webhook_event"), event_ids: z.array(z.string().min(1)).min(1).max(100), shard });
/** One delivery's next try. */
export const WebhookDeliveryJob = z.object({ kind: z.literal("webhook_delivery"), delivery_id: z.string().min(1), shard });

/** A verified carrier receipt as the webhook read it (src/services/receipts.ts receiptRow), not yet stored. */
export const QueuedReceipt = z.object({
  id: z.string().min(1),
  carrier: z.string().min(1),
  carrierKey: z.string().min(1),
  status: z.enum(PART_STATUSES).nullable(),
  errorCode: z.string().nullable(),
  carrierStatus: z.string(),
  carrierTime: z.string().nullable(),
  raw: z.string(),
  messageId: z.null(),
  result: z.literal("held"),
  receivedAt: z.number().int(),
  reference: z.string().nullable(),
  carrierMessageId: z.string().nullable(),
});
/** Receipts to store and apply, in the order the carrier posted them. */
export const ReceiptsJob = z.object({ kind: z.literal("receipts"), receipts: z.array(QueuedReceipt).min(1) });

/** Outcomes a send consumer had from carriers but could not record in D1: recorded by this job instead. */
export const SendSettlementsJob = z.object({
  kind: z.literal("send_settlements"),
  at: z.number().int(),
  settlements: z
    .array(
      z.object({
        id: z.string().min(1),
        status: z.enum(MESSAGE_STATUSES),
        detail: z.string().nullable(),
        carrier: z.string().optional(),
        carrierMessageId: z.string().nullable().optional(),
        parts: z.number().int().nullable().optional(),
        submittedAt: z.number().int().nullable().optional(),
        errorCode: z.string().nullable().optional(),
        errorMessage: z.string().nullable().optional(),
        partIds: z.array(z.string()).optional(),
      }),
    )
    .min(1),
  shard,
});

export const QueueBody = z.discriminatedUnion("kind", [SendJob, SendsJob, SimulatorReceiptsJob, BatchJob, WebhookEventJob, WebhookDeliveryJob, ReceiptsJob, SendSettlementsJob]);
export type QueueBody = z.infer<typeof QueueBody>;
export type SendJob = z.infer<typeof SendJob>;
export type SendsJob = z.infer<typeof SendsJob>;
export type BatchJob = z.infer<typeof BatchJob>;

export function sendJob(messageId: string): SendJob {
  return { kind: "send", message_id: messageId };
}

export async function enqueueSend(queue: Queue, messageId: string): Promise<void> {
  await queue.send(sendJob(messageId));
}

/**
 * Messages per send job when many go at once: fewer queue messages to carry, and a consumer batch of 100
 * jobs claims up to 2,500 messages in its one statement.
 */
export const MESSAGES_PER_SEND_JOB = 25;
/** Queues take at most 100 messages per sendBatch. */
const QUEUE_BATCH = 100;

/** Hands many messages to the send queue: MESSAGES_PER_SEND_JOB a job, 100 jobs a call. */
export async function enqueueSends(queue: Queue, ids: readonly string[]): Promise<void> {
  const jobs = chunks(ids, MESSAGES_PER_SEND_JOB).map((message_ids) => ({ body: { kind: "sends", message_ids } satisfies SendsJob }));
  for (const call of chunks(jobs, QUEUE_BATCH)) await queue.sendBatch(call);
}

export async function enqueueBatchStep(queue: Queue, batchId: string, position: number, delaySeconds = 0): Promise<void> {
  const job: BatchJob = { kind: "batch", batch_id: batchId, position, at: Date.now() };
  await queue.send(job, delaySeconds > 0 ? { delaySeconds } : undefined);
}

export type QueuedReceipt = z.infer<typeof QueuedReceipt>;
/** Queue messages stay under their 128 KB limit: lists are split by size. */
export const JOB_BYTES = 96_000;

/** Hands verified receipts to the receipts queue, in order, in as few messages as their size allows. */
export async function enqueueReceipts(queue: Queue, receipts: readonly QueuedReceipt[]): Promise<void> {
  for (const group of chunksByBytes(receipts, JOB_BYTES)) await queue.send({ kind: "receipts", receipts: group } satisfies z.infer<typeof ReceiptsJob>);
}

/** New events to fan out, 100 a job. */
export async function enqueueWebhookEvents(queue: Queue, eventIds: readonly string[]): Promise<void> {
  for (const ids of chunks(eventIds, 100)) await queue.send({ kind: "webhook_event", event_ids: ids } satisfies z.infer<typeof WebhookEventJob>);
}

/** Deliveries to try, each when it falls due (no delay: now), 100 a queue call. */
export async function enqueueDeliveries(queue: Queue, deliveries: readonly { id: string; delaySeconds?: number }[]): Promise<void> {
  const jobs = deliveries.map(({ id, delaySeconds }) => ({
    body: { kind: "webhook_delivery", delivery_id: id } satisfies z.infer<typeof WebhookDeliveryJob>,
    ...(delaySeconds ? { delaySeconds } : {}),
  }));
  for (const call of chunks(jobs, QUEUE_BATCH)) await queue.sendBatch(call);
}

/** Outcomes a send consumer could not record, for a later job to record. */
export async function enqueueSettlements(queue: Queue, settlements: z.infer<typeof SendSettlementsJob>["settlements"]): Promise<void> {
  await queue.send({ kind: "send_settlements", at: Date.now(), settlements } satisfies z.infer<typeof SendSettlementsJob>);
}

/** The simulated carrier's receipts, posted back after `delaySeconds`, in as few jobs as their size allows. */
export async function enqueueSimulatorReceipts(queue: Queue, receipts: readonly z.infer<typeof SimulatorReceipt>[], delaySeconds: number): Promise<void> {
  for (const group of chunksByBytes(receipts, JOB_BYTES)) {
    await queue.send({ kind: "simulator_receipts", receipts: group } satisfies z.infer<typeof SimulatorReceiptsJob>, { delaySeconds });
  }
}
