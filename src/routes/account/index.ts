import { createRoute } from "@hono/zod-openapi";
import { createRouter } from "../../lib/create-router";
import { jsonResponse, problemResponses } from "../../lib/openapi";
import { meterFor } from "../../meter/client";
import { Account, presentAccount } from "./schemas";

const get = createRoute({
  method: "get",
  path: "/",
  tags: ["Account"],
  security: [{ ApiKey: [] }],
  summary: "Your balance, limits and today's usage",
  responses: { 200: jsonResponse(Account, "The account."), ...problemResponses("unauthorized", "rate_limited") },
});

export const account = createRouter().openapi(get, async (c) => {
  const { tenantId, metered } = c.var.auth;
  const state = await meterFor(c.env, tenantId).account();
  return c.json(presentAccount(tenantId, metered, c.env.BILLING_CURRENCY, state), 200);
});
