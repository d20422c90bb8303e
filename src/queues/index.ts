import { app } from "../app";
import { postReceipts, type SimulatorReceipt } from "../carriers/simulator";
import { createDb, type Db } from "../db/client";
import { log } from "../lib/log";
import { runBatchStep } from "../services/batch-work";
import { refundMessages } from "../services/billing";
import { failDeadLettered } from "../services/delivery";
import { EventOutbox } from "../services/events";
import { applyReceipts } from "../services/receipts";
import { chunksByBytes } from "../lib/chunks";
import { JOB_BYTES, QueueBody, type BatchJob } from "./bodies";
import { handleSends, recordSettlements } from "./send";
import { runDeliveries, runEventFanOut } from "./webhooks";

// Queue names as declared in wrangler.toml; each queue has one role.
export const QUEUES = {
  send: "sms-send",
  sendDeadLetter: "sms-send-dlq",
  batches: "sms-batches",
  simulator: "sms-simulator",
  webhooks: "sms-webhooks",
  receipts: "sms-receipts",
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
        for (const receipts of chunksByBytes(pending, JOB_BYTES)) await queue.send({ kind: "simulator_receipts", receipts } satisfies QueueBody, { delaySeconds: delay });
      } catch (error) {
        // The simulated carrier lost its receipts: its messages stay `sent`, as when a real carrier never reports.
        log.error("simulator_receipts_lost", { count: pending.length, error: String(error) });
      }
    },
  };
}

type Job<K extends QueueBody["kind"]> = { message: Message<unknown>; job: Extract<QueueBody, { kind: K }> };

/** What one consumer batch shares: its database handle, and what it hands on once at the end. */
interface BatchContext {
  env: Env;
  db: Db;
  ctx: ExecutionContext;
  events: EventOutbox;
  receipts: ReturnType<typeof receiptOutbox>;
}

const backoff = (message: Message<unknown>) => ({ delaySeconds: Math.min(2 ** message.attempts, 60) });

/** Runs work for a group of jobs; if it throws, every job of the group is retried with a backoff. */
async function settleGroup(queueName: string, jobs: { message: Message<unknown> }[], work: () => Promise<void>): Promise<void> {
  if (jobs.length === 0) return;
  try {
    await work();
  } catch (error) {
    log.error("queue_job_failed", { queue: queueName, count: jobs.length, error: String(error) });
    for (const { message } of jobs) message.retry(backoff(message));
  }
}

/** Jobs that are one unit of work each (a batch step, a webhook try): each acked or retried on its own. */
async function eachJob<K extends QueueBody["kind"]>(queueName: string, jobs: Job<K>[], work: (job: Extract<QueueBody, { kind: K }>) => Promise<void>) {
  await Promise.all(
    jobs.map(({ message, job }) =>
      settleGroup(queueName, [{ message }], async () => {
        await work(job);
        message.ack();
      }),
    ),
  );
}

function byKind(messages: readonly Message<unknown>[], queueName: string) {
  const groups: { [K in QueueBody["kind"]]: Job<K>[] } = {
    send: [],
    sends: [],
    simulator_receipts: [],
    batch: [],
    webhook_event: [],
    webhook_delivery: [],
    receipts: [],
    send_settlements: [],
  };
  for (const message of messages) {
    const parsed = QueueBody.safeParse(message.body);
    if (!parsed.success) {
      // A body no version of this code understands will never succeed: drop it loudly.
      log.error("queue_body_invalid", { queue: queueName, id: message.id, issues: parsed.error.issues.length });
      message.ack();
      continue;
    }
    (groups[parsed.data.kind] as Job<typeof parsed.data.kind>[]).push({ message, job: parsed.data } as never);
  }
  return groups;
}

/** Each kind of job, handled for the whole consumer batch at once where its work can be shared. */
async function handleBatch(batch: MessageBatch<unknown>, c: BatchContext): Promise<void> {
  const groups = byKind(batch.messages, batch.queue);
  const q = batch.queue;
  const ackAll = (jobs: { message: Message<unknown> }[]) => jobs.forEach(({ message }) => message.ack());
  // One message's send job and a batch's job of many are claimed and sent together.
  const sends = [...groups.send, ...groups.sends].map(({ message, job }) => ({ message, ids: job.kind === "send" ? [job.message_id] : job.message_ids }));
  await Promise.all([
    q === QUEUES.sendDeadLetter
      ? settleGroup(q, sends, async () => {
          const failed = await failDeadLettered(c.db, sends.flatMap(({ ids }) => ids), c.events);
          await refundMessages(c.env, c.db, failed);
          ackAll(sends);
        })
      : settleGroup(q, sends, () => handleSends(c.env, c.db, sends, { scheduleReceipts: c.receipts.schedule, events: c.events })),
    settleGroup(q, groups.send_settlements, async () => {
      await recordSettlements(c.env, c.db, groups.send_settlements.flatMap(({ job }) => job.settlements), c.events);
      ackAll(groups.send_settlements);
    }),
    settleGroup(q, groups.receipts, async () => {
      await applyReceipts(c.db, groups.receipts.flatMap(({ job }) => job.receipts), { store: true, events: c.events });
      ackAll(groups.receipts);
    }),
    settleGroup(q, groups.webhook_event, async () => {
      await runEventFanOut(c.env, c.db, groups.webhook_event.flatMap(({ job }) => job.event_ids));
      ackAll(groups.webhook_event);
    }),
    settleGroup(q, groups.webhook_delivery, async () => {
      await runDeliveries(c.env, c.db, groups.webhook_delivery.map(({ job }) => job.delivery_id));
      ackAll(groups.webhook_delivery);
    }),
    eachJob(q, groups.batch, (job) => runBatchStep(c.env, c.db, job as BatchJob)),
    // The simulated carrier posts a consumer batch's receipts as signed pushes, in order.
    settleGroup(q, groups.simulator_receipts, async () => {
      const receipts = groups.simulator_receipts.flatMap(({ job }) => job.receipts);
      await postReceipts(receipts, c.env.SIMULATOR_WEBHOOK_SECRET, (request) => app.fetch(request, c.env, c.ctx));
      ackAll(groups.simulator_receipts);
    }),
  ]);
}

/**
 * The Worker's queue handler. A consumer batch's jobs of one kind are handled together, in a fixed number
 * of D1 statements for the whole batch (claims, outcomes, receipts, fan-out); each job is then acked or
 * retried. Status events made on the way go to the webhook queue once, at the end.
 */
export async function queue(batch: MessageBatch<unknown>, env: Env, ctx: ExecutionContext): Promise<void> {
  const c: BatchContext = { env, db: createDb(env.DB), ctx, events: new EventOutbox(), receipts: receiptOutbox(env.SIMULATOR_QUEUE) };
  await handleBatch(batch, c);
  await Promise.all([c.receipts.flush(), c.events.flush(env.WEBHOOK_QUEUE)]);
}
