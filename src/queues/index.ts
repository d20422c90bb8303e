import { app } from "../app";
import { postReceipts, type SimulatorReceipt } from "../carriers/simulator";
import { createDb, type Db } from "../db/client";
import { log } from "../lib/log";
import { runBatchStep } from "../services/batch-work";
import { refundIfDue } from "../services/billing";
import { failDeadLettered } from "../services/delivery";
import { QueueBody, WebhookEventJob } from "./bodies";
import { carrierPlan, handleSendJob } from "./send";
import { runDelivery, runEventFanOut } from "./webhooks";
import { EventOutbox } from "../services/events";
import type { CarrierPlan } from "../services/delivery";

// Queue names as declared in wrangler.toml; each queue has one role.
export const QUEUES = {
  send: "sms-send",
  sendDeadLetter: "sms-send-dlq",
  batches: "sms-batches",
  simulator: "sms-simulator",
  webhooks: "sms-webhooks",
} as const;

/**
 * The simulator's receipts for one consumer batch, posted back as one delayed job rather than one per
 * message: a carrier batches its receipts too, and it keeps a large send from holding thousands of timers.
 */
function receiptOutbox(queue: Queue) {
  const pending: SimulatorReceipt[] = [];
  let delay = 0;
  return {
    schedule: async (receipts: SimulatorReceipt[], delaySeconds: number) => {
      pending.push(...receipts);
      delay = Math.max(delay, delaySeconds);
    },
    flush: async () => {
      if (pending.length === 0) return;
      try {
        await queue.send({ kind: "simulator_receipts", receipts: pending } satisfies QueueBody, { delaySeconds: delay });
      } catch (error) {
        // The simulated carrier lost its receipts: its messages stay `sent`, as when a real carrier never reports.
        log.error("simulator_receipts_lost", { count: pending.length, error: String(error) });
      }
    },
  };
}

/** Work done once per consumer batch, whichever of its jobs needs it first. */
interface SharedWork {
  /** Routes and breakers, read only by a batch that sends. */
  plan(): Promise<CarrierPlan>;
  /** Every webhook_event job's events fanned out together, then tried. */
  fanOut(): Promise<void>;
}

async function handle(
  message: Message<unknown>,
  queueName: string,
  env: Env,
  db: Db,
  ctx: ExecutionContext,
  shared: SharedWork,
): Promise<void> {
  const parsed = QueueBody.safeParse(message.body);
  if (!parsed.success) {
    // A body no version of this code understands will never succeed: drop it loudly.
    log.error("queue_body_invalid", { queue: queueName, id: message.id, issues: parsed.error.issues.length });
    message.ack();
    return;
  }
  const job = parsed.data;
  try {
    if (queueName === QUEUES.sendDeadLetter && job.kind === "send") {
      const failed = await failDeadLettered(db, job.message_id);
      if (failed) await refundIfDue(env, db, failed);
      message.ack();
    } else if (job.kind === "send") {
      await handleSendJob(env, db, job, message as Message<QueueBody>, await shared.plan());
    } else if (job.kind === "batch") {
      await runBatchStep(env, db, job);
      message.ack();
    } else if (job.kind === "webhook_event") {
      await shared.fanOut();
      message.ack();
    } else if (job.kind === "webhook_delivery") {
      await runDelivery(env, db, job.delivery_id);
      message.ack();
    } else {
      await postReceipts(job.receipts, env.SIMULATOR_WEBHOOK_SECRET, (request) => app.fetch(request, env, ctx));
      message.ack();
    }
  } catch (error) {
    log.error("queue_job_failed", { queue: queueName, id: message.id, attempts: message.attempts, error: String(error) });
    message.retry({ delaySeconds: Math.min(2 ** message.attempts, 60) });
  }
}

/**
 * The Worker's queue handler: every message is parsed, then acked or retried on its own. The messages
 * of a batch are independent (each send claims its own row), so they are handled concurrently.
 */
export async function queue(batch: MessageBatch<unknown>, env: Env, ctx: ExecutionContext): Promise<void> {
  const db = createDb(env.DB);
  const receipts = receiptOutbox(env.SIMULATOR_QUEUE);
  const events = new EventOutbox();
  let plan: Promise<CarrierPlan> | undefined;
  let fanned: Promise<void> | undefined;
  const eventIds = batch.messages.flatMap((message) => {
    const job = WebhookEventJob.safeParse(message.body);
    return job.success ? job.data.event_ids : [];
  });
  const shared: SharedWork = {
    plan: () => (plan ??= carrierPlan(env, db, receipts.schedule, events)),
    fanOut: () => (fanned ??= runEventFanOut(env, db, eventIds)),
  };
  await Promise.all(batch.messages.map((message) => handle(message, batch.queue, env, db, ctx, shared)));
  await Promise.all([receipts.flush(), events.flush(env.WEBHOOK_QUEUE)]);
}
