import { z } from "@hono/zod-openapi";
import { countedD1Calls, startCountingD1 } from "../../db/probe";
import { createRouter } from "../../lib/create-router";
import { adminRoute, jsonResponse } from "../../lib/openapi";

const D1Calls = z
  .object({
    counting: z.boolean(),
    count: z.number().int().openapi({ description: "D1 round trips (batch, run, all, first, raw) this isolate made since counting started." }),
    statements: z.number().int().openapi({ description: "The SQL statements those round trips carried (a batch carries several)." }),
  })
  .openapi("D1Calls", { description: "Per isolate: on `wrangler dev`, the whole gateway; on Cloudflare, one of many isolates." });

const tags = ["Operator: monitoring"];

const start = adminRoute({
  method: "post",
  path: "/d1-calls",
  tags,
  summary: "Start counting this isolate's D1 round trips (for benchmarks)",
  responses: { 200: jsonResponse(D1Calls, "Counting from zero.") }
});

const read = adminRoute({
  method: "get",
  path: "/d1-calls",
  tags,
  summary: "This isolate's D1 round trips since counting started",
  responses: { 200: jsonResponse(D1Calls, "The count.") }
});

export const router = createRouter()
  .openapi(start, (c) => {
    startCountingD1();
    return c.json({ counting: true, count: 0, statements: 0 }, 200);
  })
  .openapi(read, (c) => {
    const counted = countedD1Calls();
    return c.json({ counting: counted !== null, count: counted?.calls ?? 0, statements: counted?.statements ?? 0 }, 200);
  });
