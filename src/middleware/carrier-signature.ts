import { createMiddleware } from "hono/factory";
import { ApiError } from "../lib/errors";
import { log } from "../lib/log";
import { verifyWebhook } from "../lib/standard-webhooks";
import type { AppEnv } from "../types";

/**
 * Verifies a Standard Webhooks signature over the raw body, before any validator parses (and
 * re-serialises) it. Unsigned, badly signed or stale requests are 401 and change nothing.
 */
export function standardWebhookSignature(secret: (env: Env) => string) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const raw = await c.req.text();
    const result = await verifyWebhook(secret(c.env), c.req.raw.headers, raw, Math.floor(Date.now() / 1000));
    if (!result.ok) {
      log.warn("webhook_signature_rejected", { path: c.req.path, reason: result.reason, request_id: c.var.requestId });
      throw new ApiError("invalid_signature", `The webhook signature was rejected: ${result.reason}.`);
    }
    await next();
  });
}
