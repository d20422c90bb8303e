import { createRouter } from "../../lib/create-router";
import { adminRoute, jsonResponse } from "../../lib/openapi";
import { statsReport } from "../../services/stats";
import { StatsReport } from "../../domain/stats";
import { AdminStatsQuerySchema, toStatsQuery } from "../stats/schemas";

const get = adminRoute({
  method: "get",
  path: "/stats",
  tags: ["Operator: monitoring"],
  summary: "Delivery analytics across tenants",
  description: "The same report as `GET /v1/stats`, over every tenant (or one, with `tenant_id`); `group_by=carrier` compares carriers, `group_by=tenant` tenants.",
  request: { query: AdminStatsQuerySchema },
  responses: { 200: jsonResponse(StatsReport, "The report.") }
});

export const adminStats = createRouter().openapi(get, async (c) => {
  const query = c.req.valid("query");
  const report = await statsReport(c.var.db, { tenantId: query.tenant_id, mode: query.mode }, toStatsQuery(query));
  return c.json({ ...report, currency: c.env.BILLING_CURRENCY }, 200);
});
