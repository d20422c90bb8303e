import { app } from "../app";
import { postReceipts } from "../carriers/simulator";
import { createDb } from "../db/client";
import { log } from "../lib/log";
import { refundIfDue } from "../services/billing";
import { failDeadLettered } from "../services/delivery";
import { QueueBody } from "./bodies";
import { handleSendJob } from "./send";
import { runBatchStep } from "../services/batch-work";

// Queue names as declared in wrangler.toml; each queue has one role.
export const QUEUES = {
  send: "sms-send",
  sendDeadLetter: "sms-send-dlq",
  batches: "sms-batches",
  simulator: "sms-simulator",
} as const;

/** The Worker's queue handler: every message is parsed, then acked or retried on its own. */
export async function queue(batch: MessageBatch<unknown>, env: Env, ctx: ExecutionContext): Promise<void> {
  const db = createDb(env.DB);
  for (const message of batch.messages) {
    const parsed = QueueBody.safeParse(message.body);
    if (!parsed.success) {
      // A body no version of this code understands will never succeed: drop it loudly.
      log.error("queue_body_invalid", { queue: batch.queue, id: message.id, issues: parsed.error.issues.length });
      message.ack();
      continue;
    }
    const job = parsed.data;
    const typed = message as Message<QueueBody>;
    try {
      if (batch.queue === QUEUES.sendDeadLetter && job.kind === "send") {
        const failed = await failDeadLettered(db, job.message_id);
        if (failed) await refundIfDue(env, db, failed);
        message.ack();
      } else if (job.kind === "send") {
        await handleSendJob(env, db, job, typed);
      } else if (job.kind === "batch") {
        await runBatchStep(env, db, job);
        message.ack();
      } else {
        await postReceipts(job.receipts, env.SIMULATOR_WEBHOOK_SECRET, (request) => app.fetch(request, env, ctx));
        message.ack();
      }
    } catch (error) {
      log.error("queue_job_failed", { queue: batch.queue, id: message.id, attempts: message.attempts, error: String(error) });
      message.retry({ delaySeconds: Math.min(2 ** message.attempts, 60) });
    }
  }
}
