import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { rateLimitHeaders } from "../domain/rate-limit-headers";
import { meterFor } from "../meter/client";
import { refusalError } from "../meter/refusals";
import { log } from "../lib/log";
import type { AppEnv } from "../types";

/**
 * The API-requests-per-second limit for every tenant request except a send, which its meter's
 * `admit` counts in the same call that decides it, and a stats report, which counts itself by its size.
 */
export const requestRate = createMiddleware<AppEnv>(async (c, next) => {
  await chargeRequests(c, 1);
  await next();
});

/** Takes `cost` requests from the tenant's request rate (429 when they are not there) and sets the RateLimit headers. */
export async function chargeRequests(c: Context<AppEnv>, cost: number): Promise<void> {
  if (!c.var.auth.metered) return;
  const { refusal, quotas } = await meterFor(c.env, c.var.auth.tenantId).hit(cost);
  if (refusal) throw refusalError(refusal, quotas, c.env.BILLING_CURRENCY);
  for (const [name, value] of Object.entries(rateLimitHeaders(quotas))) c.header(name, value);
}

/**
 * A send is counted by its meter call, but one refused before it (invalid body, unknown template, blocked
 * content, a bad number) never makes that call: it is counted here, after the answer, so no send request
 * of any outcome escapes the request rate. Past the rate, the answer becomes the 429.
 */
export const countSendRequest = createMiddleware<AppEnv>(async (c, next) => {
  await next();
  if (c.var.requestCounted || !c.var.auth?.metered) return;
  let refused = null;
  try {
    const { refusal, quotas } = await meterFor(c.env, c.var.auth.tenantId).hit(1);
    refused = refusal && refusalError(refusal, quotas, c.env.BILLING_CURRENCY);
  } catch (error) {
    // The answer is already decided; a meter that cannot count it now does not turn it into a 500.
    log.warn("request_count_failed", { tenant_id: c.var.auth.tenantId, error: String(error) });
  }
  // Thrown, so the router's error handler renders it in its API's shape (ours, Twilio's or Alibaba's).
  if (refused) throw refused;
});
