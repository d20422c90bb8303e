import type { Db } from "../db/client";
import { log } from "../lib/log";
import { attemptDelivery, fanOut, type AttemptOutcome } from "../services/webhooks";

/** The queue allows delays up to 12 hours; a later try is the cron's to start. */
const MAX_QUEUE_DELAY_SECONDS = 12 * 60 * 60;

type WebhookEnv = Pick<Env, "ENVIRONMENT" | "WEBHOOK_QUEUE">;

async function scheduleNext(env: WebhookEnv, deliveryId: string, outcome: AttemptOutcome): Promise<void> {
  if (outcome.kind !== "retry" || outcome.delaySeconds > MAX_QUEUE_DELAY_SECONDS) return;
  await env.WEBHOOK_QUEUE.send({ kind: "webhook_delivery", delivery_id: deliveryId }, { delaySeconds: outcome.delaySeconds });
}

/** A delivery's try, and its next one scheduled if it failed. */
export async function runDelivery(env: WebhookEnv, db: Db, deliveryId: string): Promise<void> {
  await scheduleNext(env, deliveryId, await attemptDelivery(env, db, deliveryId));
}

/** New events: their deliveries are made and tried at once, concurrently. */
export async function runEventFanOut(env: WebhookEnv, db: Db, eventIds: string[]): Promise<void> {
  const deliveries = await fanOut(db, eventIds);
  const results = await Promise.allSettled(deliveries.map((id) => runDelivery(env, db, id)));
  // A try that threw is still pending in D1: the cron starts it again.
  for (const result of results) if (result.status === "rejected") log.error("webhook_attempt_failed", { error: String(result.reason) });
}
