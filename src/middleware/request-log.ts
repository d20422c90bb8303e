import { createMiddleware } from "hono/factory";
import { log, logs } from "../lib/log";
import type { AppEnv } from "../types";

/**
 * One JSON line per request: its id (also the X-Request-Id header), the tenant, the route pattern
 * (never the raw path, which may hold a number), the status and the time taken. Never a body or a key.
 */
export const requestLog = createMiddleware<AppEnv>(async (c, next) => {
  const started = Date.now();
  await next();
  const level = c.res.status >= 500 ? "error" : "info";
  if (!logs(level, c.env.LOG_LEVEL)) return;
  const route = c.req.matchedRoutes.filter((r) => r.method !== "ALL").at(-1)?.path ?? "(no route)";
  log[level]("request", {
    request_id: c.var.requestId,
    tenant_id: c.var.auth?.tenantId ?? null,
    method: c.req.method,
    route,
    status: c.res.status,
    duration_ms: Date.now() - started,
  });
});
