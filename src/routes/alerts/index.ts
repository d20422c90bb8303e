import { createRouter } from "../../lib/create-router";
import { IdParam, jsonBody, jsonResponse, tenantRoute } from "../../lib/openapi";
import { createAlertRule, deleteAlertRule, getAlertRule, listAlertRules } from "../../services/alerts";
import { AlertRule, AlertRuleList, CreateAlertBody, presentAlertRule, toNewRule } from "./schemas";

const tags = ["Alerts"];

const create = tenantRoute({
  method: "post",
  path: "/",
  tags,
  summary: "Create an alert rule",
  description:
    "Evaluated every minute. When a rule starts firing, an `alert.firing` event goes to your webhooks (and `GET /v1/events`); when it " +
    "stops, `alert.resolved`: one event per change, never one a minute.",
  request: { body: jsonBody(CreateAlertBody) },
  errors: ["limit_exceeded"],
  responses: {
    201: jsonResponse(AlertRule, "The rule, not yet evaluated."),
  },
});

const list = tenantRoute({
  method: "get",
  path: "/",
  tags,
  summary: "Your alert rules, with their state",
  responses: { 200: jsonResponse(AlertRuleList, "Every rule.") }
});

const get = tenantRoute({
  method: "get",
  path: "/{id}",
  tags,
  summary: "An alert rule",
  request: { params: IdParam },
  responses: { 200: jsonResponse(AlertRule, "The rule.") }
});

const remove = tenantRoute({
  method: "delete",
  path: "/{id}",
  tags,
  summary: "Delete an alert rule",
  request: { params: IdParam },
  responses: { 204: { description: "Deleted." } }
});

export const router = createRouter()
  .openapi(create, async (c) => {
    return c.json(presentAlertRule(await createAlertRule(c.var.db, c.var.auth, toNewRule(c.req.valid("json")))), 201);
  })
  .openapi(list, async (c) => c.json({ data: (await listAlertRules(c.var.db, c.var.auth)).map(presentAlertRule) }, 200))
  .openapi(get, async (c) => c.json(presentAlertRule(await getAlertRule(c.var.db, c.var.auth, c.req.valid("param").id)), 200))
  .openapi(remove, async (c) => {
    await deleteAlertRule(c.var.db, c.var.auth, c.req.valid("param").id);
    return c.body(null, 204);
  });
