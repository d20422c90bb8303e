import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { verifyTwilioSignature } from "../carriers/twilio";
import { verifyVonageSignature } from "../carriers/vonage";
import { isWebhookSecret, secretsEqual } from "../lib/crypto";
import { ApiError } from "../lib/errors";
import { log } from "../lib/log";
import { verifyWebhook } from "../lib/standard-webhooks";
import type { AppEnv } from "../types";

function reject(c: Context<AppEnv>, reason: string): never {
  log.warn("webhook_signature_rejected", { path: c.req.path, reason, request_id: c.var.requestId });
  throw new ApiError("invalid_signature", `The webhook signature was rejected: ${reason}.`);
}

/**
 * The operator has not configured a route's secret, or it cannot be used: nothing can be verified, so
 * nothing is accepted. A 503 (not a 401): the carrier keeps retrying until the secret is fixed, and the
 * log names the setting (never its value).
 */
function unconfigured(c: Context<AppEnv>, setting: string): never {
  log.error("webhook_secret_unusable", { path: c.req.path, setting, request_id: c.var.requestId });
  throw new ApiError("dependency_unavailable", "Webhook verification is not configured for this route; try again later.", {
    headers: { "Retry-After": "60" },
  });
}

/**
 * Verifies a Standard Webhooks signature over the raw body, before any validator parses (and
 * re-serialises) it. Unsigned, badly signed or stale requests are 401 and change nothing.
 */
export function standardWebhookSignature(setting: "SIMULATOR_WEBHOOK_SECRET" | "SMPP_BRIDGE_SECRET") {
  return createMiddleware<AppEnv>(async (c, next) => {
    const secret = c.env[setting];
    if (!isWebhookSecret(secret)) unconfigured(c, setting);
    const raw = await c.req.text();
    const result = await verifyWebhook(secret, c.req.raw.headers, raw, Math.floor(Date.now() / 1000));
    if (!result.ok) reject(c, result.reason);
    await next();
  });
}

/** A carrier's fields from a form or a flat JSON object, every value as text (as carriers sign them). */
function fieldsOf(raw: string, contentType: string): Record<string, string> | null {
  if (/json/i.test(contentType)) {
    try {
      const parsed: unknown = JSON.parse(raw);
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return null;
      return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
    } catch {
      throw new ApiError("malformed_json", "The request body is not valid JSON.");
    }
  }
  return Object.fromEntries(new URLSearchParams(raw));
}

async function readFields(c: Context<AppEnv>): Promise<Record<string, string>> {
  const fields = fieldsOf(await c.req.text(), c.req.header("content-type") ?? "");
  if (!fields) throw new ApiError("validation_failed", "The body must be a form or a JSON object.", { errors: [{ path: "body", message: "expected an object" }] });
  return fields;
}

/** Twilio: X-Twilio-Signature over the URL it called and the sorted form fields, keyed with the auth token. */
export const twilioSignature = createMiddleware<AppEnv>(async (c, next) => {
  if (!c.env.TWILIO_AUTH_TOKEN) unconfigured(c, "TWILIO_AUTH_TOKEN");
  const fields = await readFields(c);
  if (!(await verifyTwilioSignature(c.env.TWILIO_AUTH_TOKEN, c.req.url, fields, c.req.header("x-twilio-signature")))) {
    reject(c, c.req.header("x-twilio-signature") ? "X-Twilio-Signature does not match" : "no X-Twilio-Signature");
  }
  c.set("webhookFields", fields);
  await next();
});

/** Vonage: the `sig` field (SHA-256 HMAC signed webhooks) and a fresh `timestamp`. */
export const vonageSignature = createMiddleware<AppEnv>(async (c, next) => {
  if (!c.env.VONAGE_SIGNATURE_SECRET) unconfigured(c, "VONAGE_SIGNATURE_SECRET");
  const fields = await readFields(c);
  const problem = await verifyVonageSignature(c.env.VONAGE_SIGNATURE_SECRET, fields, Math.floor(Date.now() / 1000));
  if (problem) reject(c, problem);
  c.set("webhookFields", fields);
  await next();
});

/** A carrier that cannot sign (Alibaba Cloud's receipt push): its URL carries a secret token instead. */
export function urlToken(setting: "ALIBABA_RECEIPT_TOKEN") {
  return createMiddleware<AppEnv>(async (c, next) => {
    const expected = c.env[setting];
    if (!expected) unconfigured(c, setting);
    const given = c.req.query("token");
    if (!given || !(await secretsEqual(given, expected))) reject(c, given ? "the token does not match" : "no token");
    await next();
  });
}
