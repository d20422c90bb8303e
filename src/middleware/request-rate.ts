import { createMiddleware } from "hono/factory";
import { rateLimitHeaders } from "../domain/rate-limit-headers";
import { meterFor } from "../meter/client";
import { refusalError } from "../meter/refusals";
import type { AppEnv } from "../types";

/**
 * The API-requests-per-second limit for every tenant request except a send, which its meter's
 * `admit` counts in the same call that decides it.
 */
export const requestRate = createMiddleware<AppEnv>(async (c, next) => {
  if (!c.var.auth.metered) return next();
  const { refusal, quotas } = await meterFor(c.env, c.var.auth.tenantId).hit();
  if (refusal) throw refusalError(refusal, quotas, c.env.BILLING_CURRENCY);
  await next();
  for (const [name, value] of Object.entries(rateLimitHeaders(quotas))) c.header(name, value);
});
