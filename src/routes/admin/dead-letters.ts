import { z } from "@hono/zod-openapi";
import { createRouter } from "../../lib/create-router";
import { adminRoute, jsonBody, jsonResponse } from "../../lib/openapi";
import { deadLetterCounts, REPLAYABLE, replayDeadLetters, type ReplayableQueue } from "../../services/dead-letters";

// Dead letters an operator replays: the receipts queue's (the send queue's settle themselves: docs/DEPLOY.md).
const tags = ["Operator: monitoring"];
const QUEUE_NAMES = Object.keys(REPLAYABLE) as [ReplayableQueue, ...ReplayableQueue[]];

const DeadLetterQueue = z
  .object({ queue: z.enum(QUEUE_NAMES), count: z.number().int(), oldest_at: z.iso.datetime().nullable() })
  .openapi("DeadLetterQueue");

const ReplayBody = z
  .object({
    queue: z.enum(QUEUE_NAMES).openapi({ description: "The dead-letter queue whose kept jobs go back to the queue they came from." }),
    limit: z.number().int().min(1).max(100).default(100).openapi({ description: "Jobs replayed by this request, oldest first (call again while `remaining` > 0)." }),
  })
  .strict()
  .openapi("ReplayDeadLettersRequest");

const list = adminRoute({
  method: "get",
  path: "/dead-letters",
  tags,
  summary: "Dead letters kept for replay, per queue",
  responses: { 200: jsonResponse(z.object({ data: z.array(DeadLetterQueue) }).openapi("DeadLetterQueues"), "Each replayable dead-letter queue.") },
});

const replay = adminRoute({
  method: "post",
  path: "/dead-letters/replay",
  tags,
  summary: "Send kept dead letters back to their queue",
  description: "Oldest first. A replayed receipt is applied as any other (idempotently); one that fails again comes back here.",
  request: { body: jsonBody(ReplayBody) },
  responses: { 200: jsonResponse(z.object({ replayed: z.number().int(), remaining: z.number().int() }).openapi("ReplayedDeadLetters"), "What was replayed.") },
});

export const router = createRouter()
  .openapi(list, async (c) => {
    const rows = await deadLetterCounts(c.var.control);
    return c.json({ data: rows.map((row) => ({ queue: row.queue as ReplayableQueue, count: row.count, oldest_at: row.oldestAt === null ? null : new Date(row.oldestAt).toISOString() })) }, 200);
  })
  .openapi(replay, async (c) => {
    const { queue, limit } = c.req.valid("json");
    return c.json(await replayDeadLetters(c.env, c.var.control, queue, limit), 200);
  });
