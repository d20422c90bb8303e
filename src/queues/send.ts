import { carrierAdapter } from "../carriers/registry";
import type { Db } from "../db/client";
import { deliver } from "../services/delivery";
import type { SendJob, QueueBody } from "./bodies";

/** Send consumer: submit the message once, then ack, or ask the queue to retry after a backoff. */
export async function handleSendJob(env: Env, db: Db, job: SendJob, message: Message<QueueBody>): Promise<void> {
  const outcome = await deliver(db, job.message_id, (carrier) =>
    carrierAdapter(carrier, {
      db,
      scheduleReceipts: (receipts, delaySeconds) =>
        env.SIMULATOR_QUEUE.send({ kind: "simulator_receipts", receipts } satisfies QueueBody, { delaySeconds }),
    }),
  );
  if (outcome.kind === "retry") message.retry({ delaySeconds: outcome.delaySeconds });
  else message.ack();
}
