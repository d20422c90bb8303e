import { z } from "zod";
import { SimulatorReceipt } from "../carriers/simulator";

export const SendJob = z.object({ kind: z.literal("send"), message_id: z.string().min(1) });
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
});

/** New events to fan out to the tenant's webhooks (and callback URLs), then try at once. */
export const WebhookEventJob = z.object({ kind: z.literal("webhook_event"), event_ids: z.array(z.string().min(1)).min(1).max(100) });
/** One delivery's next try. */
export const WebhookDeliveryJob = z.object({ kind: z.literal("webhook_delivery"), delivery_id: z.string().min(1) });

export const QueueBody = z.discriminatedUnion("kind", [SendJob, SimulatorReceiptsJob, BatchJob, WebhookEventJob, WebhookDeliveryJob]);
export type QueueBody = z.infer<typeof QueueBody>;
export type SendJob = z.infer<typeof SendJob>;
export type BatchJob = z.infer<typeof BatchJob>;

export function sendJob(messageId: string): SendJob {
  return { kind: "send", message_id: messageId };
}

export async function enqueueSend(queue: Queue, messageId: string): Promise<void> {
  await queue.send(sendJob(messageId));
}

export async function enqueueBatchStep(queue: Queue, batchId: string, position: number, delaySeconds = 0): Promise<void> {
  const job: BatchJob = { kind: "batch", batch_id: batchId, position, at: Date.now() };
  await queue.send(job, delaySeconds > 0 ? { delaySeconds } : undefined);
}
