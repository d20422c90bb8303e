import { enqueueDeliveries } from "./jobs";
import type { Db } from "../db/client";
import { attemptDeliveries, fanOut } from "../services/webhooks";

/** The queue allows delays up to 12 hours; a later try is the cron's to start. */
const MAX_QUEUE_DELAY_SECONDS = 12 * 60 * 60;

type WebhookEnv = Pick<Env, "DB" | "ENVIRONMENT" | "WEBHOOK_QUEUE" | "DATA_ENCRYPTION_KEY">;

/** Tries deliveries together, then queues the next try of each that failed (one queue call for all). */
export async function runDeliveries(env: WebhookEnv, db: Db, deliveryIds: readonly string[], now = Date.now()): Promise<void> {
  const outcomes = await attemptDeliveries(env, db, deliveryIds, now);
  const next = [...outcomes].flatMap(([id, outcome]) =>
    (outcome.kind === "retry" || outcome.kind === "deferred") && outcome.delaySeconds <= MAX_QUEUE_DELAY_SECONDS ? [{ id, delaySeconds: outcome.delaySeconds }] : [],
  );
  // A lost enqueue loses nothing: the delivery stays pending in D1 and the cron starts it once overdue.
  await enqueueDeliveries(env.WEBHOOK_QUEUE, next);
}

/** New events: their deliveries are made and tried at once. */
export async function runEventFanOut(env: WebhookEnv, db: Db, eventIds: string[]): Promise<void> {
  await runDeliveries(env, db, await fanOut(db, eventIds));
}
