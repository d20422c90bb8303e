import { createRouter } from "../../lib/create-router";
import { jsonResponse, tenantRoute } from "../../lib/openapi";
import { chargeRequests } from "../../middleware/request-rate";
import { statsReport } from "../../services/stats";
import { reportCost } from "../../domain/stats";
import { StatsQuerySchema, StatsReport, toStatsQuery } from "./schemas";

const DESCRIPTION =
  "Time series and totals of your messages, counted by the hour they were accepted in: how many were submitted, sent, delivered, " +
  "undelivered and failed, their segments and cost, the delivery rate and the accept-to-delivered latency. Served from counters kept " +
  "with every status change, so figures are current to the last receipt. Test keys see test traffic; live keys see live traffic. " +
  "A report counts against your API request rate as one request per day it spans (a 90-day report: 90), so long reports cannot crowd out sending.";

const get = tenantRoute({
  // A report is counted by its size: one request a day it spans (chargeRequests, below).
  rate: "self",
  method: "get",
  path: "/",
  tags: ["Analytics"],
  summary: "Delivery analytics",
  description: DESCRIPTION,
  request: { query: StatsQuerySchema },
  responses: { 200: jsonResponse(StatsReport, "The report.") }
});

export const router = createRouter().openapi(get, async (c) => {
  const query = c.req.valid("query");
  await chargeRequests(c, reportCost(query.from, query.to));
  const { tenantId, mode } = c.var.auth;
  const report = await statsReport(c.var.db, { tenantId, mode }, toStatsQuery(query));
  return c.json({ ...report, currency: c.env.BILLING_CURRENCY }, 200);
});
