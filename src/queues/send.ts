import { eq } from "drizzle-orm";
import { carrierAdapter } from "../carriers/registry";
import type { SimulatorDeps } from "../carriers/simulator";
import type { Db } from "../db/client";
import { messages } from "../db/schema";
import { refundIfDue } from "../services/billing";
import { CarrierBreakers } from "../services/carrier-health";
import { deliver, type CarrierPlan } from "../services/delivery";
import type { EventOutbox } from "../services/events";
import { carriersFor, routeTable } from "../services/routes";
import type { SendJob, QueueBody } from "./bodies";

/** The carriers for one consumer batch: routes (cached per isolate) and breakers, read once. */
export async function carrierPlan(env: Env, db: Db, scheduleReceipts: SimulatorDeps["scheduleReceipts"], events?: EventOutbox): Promise<CarrierPlan> {
  const [table, breakers] = await Promise.all([routeTable(db), CarrierBreakers.load(db)]);
  return {
    order: (message) => carriersFor(table, message, env.LIVE_CARRIER),
    adapter: (carrier) => carrierAdapter(carrier, env, { db, scheduleReceipts }),
    breakers,
    events,
  };
}

/**
 * Send consumer: submit the message once, then ack, or ask the queue to retry after a backoff.
 * A message that failed is refunded before the ack; if the refund throws, the job is retried and the
 * redelivery, which finds nothing to submit, finishes it.
 */
export async function handleSendJob(env: Env, db: Db, job: SendJob, message: Message<QueueBody>, plan: CarrierPlan): Promise<void> {
  const outcome = await deliver(db, job.message_id, plan);
  if (outcome.kind === "retry") return message.retry({ delaySeconds: outcome.delaySeconds });
  if (outcome.kind === "failed") await refundIfDue(env, db, outcome.message);
  if (outcome.kind === "skipped") {
    const row = await db.query.messages.findFirst({ where: eq(messages.id, job.message_id) });
    if (row) await refundIfDue(env, db, row);
  }
  message.ack();
}
