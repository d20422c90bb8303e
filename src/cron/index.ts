import type { Db } from "../db/client";
import { CONTROL, controlDb, everyShard, type ShardScope } from "../db/shards";
import { purgeDeadLetters } from "../services/dead-letters";
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
import { purgeExpired, purgePlatformData } from "./retention";

export const EVERY_MINUTE = "* * * * *";

/** One shard's minute: every job over that shard's database, its jobs enqueued with its name. */
function shardJobs({ db, env, shard }: ShardScope, control: Db, now: number): Record<string, () => Promise<unknown>> {
  return {
    dispatch_due: () => dispatchDue(db, env.SEND_QUEUE, now),
    start_due_batches: () => startDueBatches(db, env.BATCH_QUEUE, now),
    restart_stalled_batches: () => restartStalledBatches(db, env.BATCH_QUEUE, now),
    complete_batches: () => completeBatches(db, now),
    sweep_stuck: () => sweepStuck(db, env.SEND_QUEUE, now),
    reconcile_sending: async () => {
      const outbox = new EventOutbox();
      await reconcileSending(env, db, control, now, outbox);
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
    purge_expired: () => purgeExpired(db, control, shard, now),
    purge_platform_data: () => purgePlatformData(db, shard === CONTROL ? control : null, now),
    // Platform data on the control database, once a run.
    ...(shard === CONTROL && { purge_dead_letters: () => purgeDeadLetters(control, now) }),
  };
}

/**
 * The Worker's scheduled handler: one set of jobs per cron expression in wrangler.toml. The shards run side
 * by side (each is its own database); on each, every job runs even when one before it failed (a failure is
 * logged, then rethrown at the end, so the run shows as failed).
 */
export async function scheduled(controller: ScheduledController, env: Env, _ctx: ExecutionContext): Promise<void> {
  // A run that starts late still dispatches what is due by now.
  const now = Math.max(controller.scheduledTime, Date.now());
  switch (controller.cron) {
    case EVERY_MINUTE:
    // wrangler dev's /cdn-cgi/local/scheduled without ?cron= fires with an empty expression.
    case "": {
      const control = controlDb(env);
      const runs = await Promise.allSettled(everyShard(env).map((scope) => runAll(scope.shard, shardJobs(scope, control, now))));
      const failed = runs.find((run): run is PromiseRejectedResult => run.status === "rejected");
      if (failed) throw failed.reason;
      return;
    }
    default:
      throw new Error(`No job for cron expression "${controller.cron}"`);
  }
}

async function runAll(shard: string, jobs: Record<string, () => Promise<unknown>>): Promise<void> {
  let failure: unknown = null;
  for (const [name, job] of Object.entries(jobs)) {
    try {
      await job();
    } catch (error) {
      log.error("cron_job_failed", { job: name, shard, error: String(error) });
      failure ??= error;
    }
  }
  if (failure) throw failure;
}
