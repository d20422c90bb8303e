import { everyShard } from "../db/shards";
import { z } from "@hono/zod-openapi";
import { createRouter } from "../lib/create-router";
import { ApiError } from "../lib/errors";
import { log } from "../lib/log";
import { jsonResponse, publicRoute } from "../lib/openapi";
import { readBacklog } from "../services/health";
import { liveSendingProblems } from "../domain/deployment";

const ageSeconds = (since: number | null, now: number) => (since === null ? null : Math.max(0, Math.round((now - since) / 1000)));

const Health = z
  .object({
    status: z.literal("ok"),
    checks: z.object({
      database: z.object({ status: z.literal("ok"), latency_ms: z.number().int() }),
      send_queue: z.object({
        oldest_queued_age_s: z.number().int().nullable().openapi({ description: "How long the oldest message has waited for its send job; null: none waits." }),
      }),
      webhook_queue: z.object({
        oldest_due_age_s: z.number().int().nullable().openapi({ description: "How overdue the oldest webhook try is; null: none is." }),
      }),
    }),
  })
  .openapi("Health");

const get = publicRoute({
  method: "get",
  path: "/",
  tags: ["Health"],
  summary: "Health, with dependencies (no authentication)",
  description:
    "Reads D1 once (which proves it answers) and reports the backlogs waiting on the queues. 503 when D1 does not answer, " +
    "and in production (`live_sending_unconfigured`) while live sends are refused: the live carrier is the simulator, or " +
    "`PUBLIC_BASE_URL` is not a public https URL carriers can post receipts to.",
  errors: ["dependency_unavailable", "live_sending_unconfigured"],
  responses: { 200: jsonResponse(Health, "The gateway and its database are up.") }
});

const live = publicRoute({
  method: "get",
  path: "/live",
  tags: ["Health"],
  summary: "Liveness only: the Worker answers (no dependency is read)",
  responses: { 200: jsonResponse(z.object({ status: z.literal("ok") }), "The Worker is up.") }
});

export const router = createRouter()
  .openapi(get, async (c) => {
    const started = Date.now();
    // Every database answers: the control one (keys, tenants) and each shard (the backlog is theirs).
    const backlog = await readBacklog([c.var.control, ...everyShard(c.env).map((scope) => scope.db)], started).catch((error: unknown) => {
      // The cause goes to the log only: this answer is public.
      log.error("health_database_failed", { request_id: c.var.requestId, error: String(error) });
      throw new ApiError("dependency_unavailable", "The database did not answer.", { extra: { checks: { database: { status: "failed" } } } });
    });
    const problems = liveSendingProblems(c.env);
    if (problems.length > 0) {
      throw new ApiError("live_sending_unconfigured", `This deployment refuses live sends: ${problems.join("; ")}.`, {
        extra: { problems, checks: { database: { status: "ok" }, configuration: { status: "failed", problems } } },
      });
    }
    const now = Date.now();
    return c.json(
      {
        status: "ok" as const,
        checks: {
          database: { status: "ok" as const, latency_ms: now - started },
          send_queue: { oldest_queued_age_s: ageSeconds(backlog.oldestQueuedAt, now) },
          webhook_queue: { oldest_due_age_s: ageSeconds(backlog.oldestWebhookDueAt, now) },
        },
      },
      200,
    );
  })
  .openapi(live, (c) => c.json({ status: "ok" as const }, 200));
