import { createRoute, z } from "@hono/zod-openapi";
import { createRouter } from "../lib/create-router";
import { jsonResponse } from "../lib/openapi";

const Health = z.object({ status: z.literal("ok") }).openapi("Health");

const get = createRoute({
  method: "get",
  path: "/",
  tags: ["Health"],
  summary: "Liveness check (no authentication)",
  responses: { 200: jsonResponse(Health, "The gateway is up.") },
});

export const health = createRouter().openapi(get, (c) => c.json({ status: "ok" as const }, 200));
