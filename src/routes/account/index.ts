import { createRoute } from "@hono/zod-openapi";
import { createRouter } from "../../lib/create-router";
import { DEFAULT_QUIET_HOURS, QuietHours } from "../../domain/quiet-hours";
import { jsonBody, jsonResponse, problemResponses } from "../../lib/openapi";
import { meterFor } from "../../meter/client";
import { quietHoursOf } from "../../services/scheduling";
import { updateTenant } from "../../services/tenants";
import { Account, presentAccount } from "./schemas";

const get = createRoute({
  method: "get",
  path: "/",
  tags: ["Account"],
  security: [{ ApiKey: [] }],
  summary: "Your balance, limits and today's usage",
  responses: { 200: jsonResponse(Account, "The account."), ...problemResponses("unauthorized", "rate_limited") },
});

const getQuietHours = createRoute({
  method: "get",
  path: "/quiet-hours",
  tags: ["Account"],
  security: [{ ApiKey: [] }],
  summary: "When marketing is held for the recipient's night",
  responses: { 200: jsonResponse(QuietHours, "Your quiet hours."), ...problemResponses("unauthorized", "rate_limited") },
});

const putQuietHours = createRoute({
  method: "put",
  path: "/quiet-hours",
  tags: ["Account"],
  security: [{ ApiKey: [] }],
  summary: "Set your quiet hours for marketing",
  description:
    `Default: ${DEFAULT_QUIET_HOURS.start}–${DEFAULT_QUIET_HOURS.end}, in the time zones of the recipient's country. ` +
    "Applies to marketing sent or expanded from now on; OTP and notifications are never held.",
  request: { body: jsonBody(QuietHours) },
  responses: {
    200: jsonResponse(QuietHours, "Your quiet hours."),
    ...problemResponses("malformed_json", "unauthorized", "unsupported_media_type", "validation_failed", "rate_limited"),
  },
});

export const account = createRouter()
  .openapi(get, async (c) => {
    const { tenantId, metered } = c.var.auth;
    const state = await meterFor(c.env, tenantId).account();
    return c.json(presentAccount(tenantId, metered, c.env.BILLING_CURRENCY, state), 200);
  })
  .openapi(getQuietHours, async (c) => c.json(quietHoursOf(c.var.auth.quietHours), 200))
  .openapi(putQuietHours, async (c) => {
    const quietHours = c.req.valid("json");
    await updateTenant(c.var.db, c.var.auth.tenantId, { quietHours });
    return c.json(quietHours, 200);
  });
