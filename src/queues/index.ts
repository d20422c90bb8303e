import { postReceipts, type SimulatorReceipt } from "../carriers/simulator";
import type { Db } from "../db/client";
import { CONTROL, controlDb, isShard, shardScope, type ShardScope } from "../db/shards";
import { log } from "../lib/log";
import { runBatchStep } from "../services/batch-work";
import { refundMessages } from "../services/billing";
import { failDeadLettered } from "../services/delivery";
import { EventOutbox } from "../services/events";
import { applyReceiptsAcrossShards } from "../services/receipts";
import { isReplayable, keepDeadLetters } from "../services/dead-letters";
import { enqueueSimulatorReceipts, QueueBody, type BatchJob } from "./jobs";
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
  receiptsDeadLetter: "sms-receipts-dlq",
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
        await enqueueSimulatorReceipts(queue, pending, delay);
      } catch (error) {
        // The simulated carrier lost its receipts: its messages stay `sent`, as when a real carrier never reports.
        log.error("simulator_receipts_lost", { count: pending.length, error: String(error) });
      }
    },
  };
}

type Job<K extends QueueBody["kind"]> = { message: Message<unknown>; job: Extract<QueueBody, { kind: K }> };

/** What one shard's jobs of a consumer batch share: its scope, and what they hand on once at the end. */
interface BatchContext extends ShardScope {
  control: Db;
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

function emptyGroups(): { [K in QueueBody["kind"]]: Job<K>[] } {
  return {
    send: [],
    sends: [],
    simulator_receipts: [],
    batch: [],
    webhook_event: [],
    webhook_delivery: [],
    receipts: [],
    send_settlements: [],
  };
}

/**
 * A consumer batch's jobs by shard, then by kind. Receipts name no shard (each receipt finds its own), so
 * they are grouped apart; a job naming a shard this Worker does not have waits (retried) for it to come back.
 */
function byShardAndKind(env: Env, messages: readonly Message<unknown>[], queueName: string) {
  const shards = new Map<string, ReturnType<typeof emptyGroups>>();
  const receipts: Job<"receipts">[] = [];
  const simulator: Job<"simulator_receipts">[] = [];
  for (const message of messages) {
    const parsed = QueueBody.safeParse(message.body);
    if (!parsed.success) {
      // A body no version of this code understands will never succeed: drop it loudly.
      log.error("queue_body_invalid", { queue: queueName, id: message.id, issues: parsed.error.issues.length });
      message.ack();
      continue;
    }
    const job = parsed.data;
    if (job.kind === "receipts") receipts.push({ message, job });
    else if (job.kind === "simulator_receipts") simulator.push({ message, job });
    else {
      const shard = job.shard ?? CONTROL;
      if (!isShard(env, shard)) {
        log.error("queue_job_shard_unknown", { queue: queueName, id: message.id, shard });
        message.retry(backoff(message));
        continue;
      }
      let groups = shards.get(shard);
      if (!groups) shards.set(shard, (groups = emptyGroups()));
      (groups[job.kind] as Job<typeof job.kind>[]).push({ message, job } as never);
    }
  }
  return { shards, receipts, simulator };
}

/** Each kind of one shard's jobs, handled for the whole consumer batch at once where its work can be shared. */
async function handleShard(q: string, groups: ReturnType<typeof emptyGroups>, c: BatchContext): Promise<void> {
  // One message's send job and a batch's job of many are claimed and sent together.
  const sends = [...groups.send, ...groups.sends].map(({ message, job }) => ({ message, ids: job.kind === "send" ? [job.message_id] : job.message_ids }));
  await Promise.all([
    q === QUEUES.sendDeadLetter
      ? settleGroup(q, sends, async () => {
          const failed = await failDeadLettered(c.db, sends.flatMap(({ ids }) => ids), c.events);
          await refundMessages(c.env, c.db, failed);
          ackAll(sends);
        })
      : settleGroup(q, sends, () => handleSends(c, c.control, sends, { scheduleReceipts: c.receipts.schedule, events: c.events })),
    settleGroup(q, groups.send_settlements, async () => {
      await recordSettlements(c.env, c.db, groups.send_settlements.flatMap(({ job }) => job.settlements), c.events);
      ackAll(groups.send_settlements);
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
  ]);
}

const ackAll = (jobs: { message: Message<unknown> }[]) => jobs.forEach(({ message }) => message.ack());

/** The Worker's own fetch: the simulated carrier posts its receipts to the gateway's webhook routes through it. */
export type AppFetch = (request: Request, env: Env, ctx: ExecutionContext) => Response | Promise<Response>;

/**
 * The Worker's queue handler. A consumer batch's jobs of one kind are handled together, in a fixed number
 * of D1 statements for the whole batch (claims, outcomes, receipts, fan-out); each job is then acked or
 * retried. Status events made on the way go to the webhook queue once, at the end.
 */
export async function queue(batch: MessageBatch<unknown>, env: Env, ctx: ExecutionContext, fetch: AppFetch): Promise<void> {
  const q = batch.queue;
  if (isReplayable(q)) {
    // A dead letter is kept, sealed, for an operator to replay; if it cannot be kept, the queue tries again.
    const jobs = batch.messages.map((message) => ({ message }));
    await settleGroup(q, jobs, async () => {
      await keepDeadLetters(env, controlDb(env), q, batch.messages.map((message) => message.body));
      ackAll(jobs);
    });
    return;
  }
  const { shards, receipts, simulator } = byShardAndKind(env, batch.messages, q);
  const control = controlDb(env);
  const outbox = receiptOutbox(env.SIMULATOR_QUEUE);
  // Each shard is its own database: their work runs side by side.
  const contexts = [...shards.keys()].map((shard): BatchContext => ({ ...shardScope(env, shard), control, ctx, events: new EventOutbox(), receipts: outbox }));
  await Promise.all([
    ...contexts.map((c) => handleShard(q, shards.get(c.shard)!, c)),
    settleGroup(q, receipts, async () => {
      await applyReceiptsAcrossShards(env, receipts.flatMap(({ job }) => job.receipts));
      ackAll(receipts);
    }),
    // The simulated carrier posts a consumer batch's receipts as signed pushes, in order.
    settleGroup(q, simulator, async () => {
      await postReceipts(simulator.flatMap(({ job }) => job.receipts), env.SIMULATOR_WEBHOOK_SECRET, (request) => fetch(request, env, ctx));
      ackAll(simulator);
    }),
  ]);
  await Promise.all([outbox.flush(), ...contexts.map((c) => c.events.flush(c.env.WEBHOOK_QUEUE))]);
}
