import { createRouter } from "../../lib/create-router";
import { adminRoute, jsonResponse } from "../../lib/openapi";
import { statsReport } from "../../services/stats";
import { everyShard } from "../../db/shards";
import { tenantDb } from "../../services/tenants";
import { AdminStatsQuerySchema, StatsReport, toStatsQuery } from "../stats/schemas";

const get = adminRoute({
  method: "get",
  path: "/stats",
  tags: ["Operator: monitoring"],
  summary: "Delivery analytics across tenants",
  description: "The same report as `GET /v1/stats`, over every tenant (or one, with `tenant_id`); `group_by=carrier` compares carriers, `group_by=tenant` tenants.",
  request: { query: AdminStatsQuerySchema },
  responses: { 200: jsonResponse(StatsReport, "The report.") }
});

export const router = createRouter().openapi(get, async (c) => {
  const query = c.req.valid("query");
  // One tenant's report reads its shard; the service's reads every shard at once and adds them up.
  const databases = query.tenant_id ? [await tenantDb(c.env, c.var.control, query.tenant_id)] : everyShard(c.env).map((scope) => scope.db);
  const report = await statsReport(databases, { tenantId: query.tenant_id, mode: query.mode }, toStatsQuery(query));
  return c.json({ ...report, currency: c.env.BILLING_CURRENCY }, 200);
});
