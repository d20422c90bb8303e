import { z } from "zod";
import { SimulatorReceipt } from "../carriers/simulator";

export const SendJob = z.object({ kind: z.literal("send"), message_id: z.string().min(1) });
export const SimulatorReceiptsJob = z.object({
  kind: z.literal("simulator_receipts"),
  receipts: z.array(SimulatorReceipt).min(1),
});

export const QueueBody = z.discriminatedUnion("kind", [SendJob, SimulatorReceiptsJob]);
export type QueueBody = z.infer<typeof QueueBody>;
export type SendJob = z.infer<typeof SendJob>;

export function sendJob(messageId: string): SendJob {
  return { kind: "send", message_id: messageId };
}

export async function enqueueSend(queue: Queue, messageId: string): Promise<void> {
  await queue.send(sendJob(messageId));
}
