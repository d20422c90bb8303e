import { createRouter } from "../../lib/create-router";
import { jsonBody, jsonResponse, tenantRoute } from "../../lib/openapi";
import { getPolicy, putPolicy } from "../../services/content-policies";
import { fromPolicyBody, presentPolicy, TenantPolicy, TenantPolicyBody } from "./schemas";

const tags = ["Content policy"];

const get = tenantRoute({
  method: "get",
  path: "/",
  tags,
  summary: "Your content rules, link policy and opt-out suffix",
  responses: { 200: jsonResponse(TenantPolicy, "Your policy.") }
});

const put = tenantRoute({
  method: "put",
  path: "/",
  tags,
  summary: "Replace your content rules, link policy and opt-out suffix",
  description: "Applies to messages and templates from then on, in every isolate within a minute.",
  request: { body: jsonBody(TenantPolicyBody) },
  responses: {
    200: jsonResponse(TenantPolicy, "Your policy, rules with their ids."),
  },
});

export const router = createRouter()
  .openapi(get, async (c) => c.json(presentPolicy(await getPolicy(c.var.control, c.var.auth.tenantId)), 200))
  .openapi(put, async (c) => c.json(presentPolicy(await putPolicy(c.var.control, c.var.auth.tenantId, fromPolicyBody(c.req.valid("json")))), 200));
