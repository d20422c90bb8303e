import { createDb } from "../db/client";
import { log } from "../lib/log";
import { sweepRefunds } from "../services/billing";
import { dispatchDue } from "../services/scheduling";
import { completeBatches, restartStalledBatches, startDueBatches } from "./batches";
import { expireUnreported } from "./expire";
import { dispatchWebhooks, recordBatchCompletions } from "./webhooks";
import { sweepStuck } from "./sweep-stuck";
import { reconcileSending } from "./reconcile-sending";
import { evaluateAlerts } from "../services/alerts";
import { EventOutbox } from "../services/events";

export const EVERY_MINUTE = "* * * * *";

/**
 * The Worker's scheduled handler: one set of jobs per cron expression in wrangler.toml. Each job runs
 * even when one before it failed (a failure is logged, then rethrown at the end, so the run shows as failed).
 */
export async function scheduled(controller: ScheduledController, env: Env, _ctx: ExecutionContext): Promise<void> {
  const db = createDb(env.DB);
  // A run that starts late still dispatches what is due by now.
  const now = Math.max(controller.scheduledTime, Date.now());
  switch (controller.cron) {
    case EVERY_MINUTE:
    // wrangler dev's /cdn-cgi/local/scheduled without ?cron= fires with an empty expression.
    case "":
      return runAll({
        dispatch_due: () => dispatchDue(db, env.SEND_QUEUE, now),
        start_due_batches: () => startDueBatches(db, env.BATCH_QUEUE, now),
        restart_stalled_batches: () => restartStalledBatches(db, env.BATCH_QUEUE, now),
        complete_batches: () => completeBatches(db, now),
        sweep_stuck: () => sweepStuck(db, env.SEND_QUEUE, now),
        reconcile_sending: async () => {
          const outbox = new EventOutbox();
          await reconcileSending(env, db, now, outbox);
          await outbox.flush(env.WEBHOOK_QUEUE);
        },
        sweep_refunds: () => sweepRefunds(env, db, now),
        expire_unreported: () => expireUnreported(db, now),
        batch_completions: () => recordBatchCompletions(db, now),
        dispatch_webhooks: () => dispatchWebhooks(db, env.WEBHOOK_QUEUE, now),
        evaluate_alerts: async () => {
          const outbox = new EventOutbox();
          await evaluateAlerts(db, env, outbox, now);
          await outbox.flush(env.WEBHOOK_QUEUE);
        },
      });
    default:
      throw new Error(`No job for cron expression "${controller.cron}"`);
  }
}

async function runAll(jobs: Record<string, () => Promise<unknown>>): Promise<void> {
  let failure: unknown = null;
  for (const [name, job] of Object.entries(jobs)) {
    try {
      await job();
    } catch (error) {
      log.error("cron_job_failed", { job: name, error: String(error) });
      failure ??= error;
    }
  }
  if (failure) throw failure;
}
