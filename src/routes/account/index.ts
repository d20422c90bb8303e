import { createRouter } from "../../lib/create-router";
import { DEFAULT_QUIET_HOURS } from "../../domain/quiet-hours";
import { jsonBody, jsonResponse, tenantRoute } from "../../lib/openapi";
import { meterFor } from "../../meter/client";
import { quietHoursOf } from "../../services/scheduling";
import { DEFAULT_RETENTION_DAYS, updateTenant } from "../../services/tenants";
import { Account, presentAccount, QuietHours } from "./schemas";

const get = tenantRoute({
  method: "get",
  path: "/",
  tags: ["Account"],
  summary: "Your balance, limits and today's usage",
  responses: { 200: jsonResponse(Account, "The account.") }
});

const getQuietHours = tenantRoute({
  method: "get",
  path: "/quiet-hours",
  tags: ["Account"],
  summary: "When marketing is held for the recipient's night",
  responses: { 200: jsonResponse(QuietHours, "Your quiet hours.") }
});

const putQuietHours = tenantRoute({
  method: "put",
  path: "/quiet-hours",
  tags: ["Account"],
  summary: "Set your quiet hours for marketing",
  description:
    `Default: ${DEFAULT_QUIET_HOURS.start}–${DEFAULT_QUIET_HOURS.end}, in the time zones of the recipient's country. ` +
    "Applies to marketing sent or expanded from now on; OTP and notifications are never held.",
  request: { body: jsonBody(QuietHours) },
  responses: {
    200: jsonResponse(QuietHours, "Your quiet hours."),
  },
});

export const router = createRouter()
  .openapi(get, async (c) => {
    const { tenantId, metered, retentionDays = DEFAULT_RETENTION_DAYS } = c.var.auth;
    const state = await meterFor(c.env, tenantId).account();
    return c.json(presentAccount(tenantId, metered, retentionDays, c.env.BILLING_CURRENCY, state), 200);
  })
  .openapi(getQuietHours, async (c) => c.json(quietHoursOf(c.var.auth.quietHours), 200))
  .openapi(putQuietHours, async (c) => {
    const quietHours = c.req.valid("json");
    await updateTenant(c.var.control, c.var.auth.tenantId, { quietHours });
    return c.json(quietHours, 200);
  });
