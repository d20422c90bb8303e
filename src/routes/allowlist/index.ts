import { createRouter } from "../../lib/create-router";
import { jsonResponse, optionalJsonBody, tenantRoute } from "../../lib/openapi";
import { afterNumber, listQuery, numberPage } from "../../lib/pagination";
import { allowlistPage, allowNumber, disallowNumber, e164Of } from "../../services/recipients";
import { CountryQuery, NumberParam } from "../recipients/schemas";
import { AllowBody, AllowedNumber, AllowList, presentAllowed } from "./schemas";

// /v1/allowlist: the sandbox's recipients, and numbers exempt from the per-recipient caps.

const allow = tenantRoute({
  method: "put",
  path: "/{number}",
  tags: ["Allow list"],
  summary: "Allow a number: a sandbox recipient, or exempt from per-recipient caps",
  request: { params: NumberParam, query: CountryQuery, body: optionalJsonBody(AllowBody) },
  errors: ["invalid_number", "allowlist_full", "test_key_read_only"],
  responses: {
    200: jsonResponse(AllowedNumber, "Already allowed (note updated)."),
    201: jsonResponse(AllowedNumber, "Allowed."),
  },
});

const disallow = tenantRoute({
  method: "delete",
  path: "/{number}",
  tags: ["Allow list"],
  summary: "Remove a number from the allow list",
  request: { params: NumberParam, query: CountryQuery },
  errors: ["invalid_number", "test_key_read_only"],
  responses: { 204: { description: "Removed." } }
});

const listAllowed = tenantRoute({
  method: "get",
  path: "/",
  tags: ["Allow list"],
  summary: "Allowed numbers, by number",
  request: { query: listQuery },
  responses: { 200: jsonResponse(AllowList, "A page of the allow list.") }
});

export const router = createRouter()
  .openapi(allow, async (c) => {
    const number = e164Of(c.req.valid("param").number, c.req.valid("query").country, "path.number");
    const note = c.req.header("content-type") ? (c.req.valid("json")?.note ?? null) : null;
    const { created, entry } = await allowNumber(c.env, c.var.auth.tenantId, number, note, c.var.auth.sandbox);
    return created ? c.json(presentAllowed(entry), 201) : c.json(presentAllowed(entry), 200);
  })
  .openapi(disallow, async (c) => {
    await disallowNumber(c.env, c.var.auth.tenantId, e164Of(c.req.valid("param").number, c.req.valid("query").country, "path.number"));
    return c.body(null, 204);
  })
  .openapi(listAllowed, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const { data, next } = await allowlistPage(c.env, c.var.auth.tenantId, limit, afterNumber(cursor));
    return c.json(numberPage(data.map(presentAllowed), next), 200);
  });
