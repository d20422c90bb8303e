import { createRoute } from "@hono/zod-openapi";
import { createRouter } from "../../lib/create-router";
import { jsonBody, jsonResponse, problemResponses } from "../../lib/openapi";
import { getPolicy, putPolicy } from "../../services/content-policies";
import { fromPolicyBody, presentPolicy, TenantPolicy, TenantPolicyBody } from "./schemas";

const tags = ["Content policy"];
const security = [{ ApiKey: [] }];

const get = createRoute({
  method: "get",
  path: "/",
  tags,
  security,
  summary: "Your content rules, link policy and opt-out suffix",
  responses: { 200: jsonResponse(TenantPolicy, "Your policy."), ...problemResponses("unauthorized", "rate_limited") },
});

const put = createRoute({
  method: "put",
  path: "/",
  tags,
  security,
  summary: "Replace your content rules, link policy and opt-out suffix",
  description: "Applies to messages and templates from then on, in every isolate within a minute.",
  request: { body: jsonBody(TenantPolicyBody) },
  responses: {
    200: jsonResponse(TenantPolicy, "Your policy, rules with their ids."),
    ...problemResponses("malformed_json", "unauthorized", "unsupported_media_type", "validation_failed", "rate_limited"),
  },
});

export const contentRules = createRouter()
  .openapi(get, async (c) => c.json(presentPolicy(await getPolicy(c.var.db, c.var.auth.tenantId)), 200))
  .openapi(put, async (c) => c.json(presentPolicy(await putPolicy(c.var.db, c.var.auth.tenantId, fromPolicyBody(c.req.valid("json")))), 200));
