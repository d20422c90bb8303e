import { createDb } from "../db/client";
import { sweepRefunds } from "../services/billing";
import { dispatchDue } from "../services/scheduling";
import { completeBatches, restartStalledBatches, startDueBatches } from "./batches";
import { sweepStuck } from "./sweep-stuck";

export const EVERY_MINUTE = "* * * * *";

/** The Worker's scheduled handler: one job per cron expression in wrangler.toml. */
export async function scheduled(controller: ScheduledController, env: Env, _ctx: ExecutionContext): Promise<void> {
  const db = createDb(env.DB);
  switch (controller.cron) {
    case EVERY_MINUTE:
    // wrangler dev's /cdn-cgi/local/scheduled without ?cron= fires with an empty expression.
    case "":
      await dispatchDue(db, env.SEND_QUEUE, controller.scheduledTime);
      await startDueBatches(db, env.BATCH_QUEUE, controller.scheduledTime);
      await restartStalledBatches(db, env.BATCH_QUEUE, controller.scheduledTime);
      await completeBatches(db, controller.scheduledTime);
      await sweepStuck(db, env.SEND_QUEUE, controller.scheduledTime);
      await sweepRefunds(env, db, controller.scheduledTime);
      return;
    default:
      throw new Error(`No job for cron expression "${controller.cron}"`);
  }
}
