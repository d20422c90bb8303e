import { createRoute } from "@hono/zod-openapi";
import { createRouter } from "../../lib/create-router";
import { jsonBody, jsonResponse, problemResponses } from "../../lib/openapi";
import { createApiKey, revokeApiKey } from "../../services/api-keys";
import { createTenant, getTenant } from "../../services/tenants";
import { ApiKey, CreatedApiKey, CreateKeyBody, KeyIdParam, presentCreatedKey, presentKey } from "../keys/schemas";
import { CreateTenantBody, presentTenant, Tenant, TenantIdParam } from "./schemas";

const tags = ["Operator"];
const security = [{ AdminToken: [] }];
const bodyErrors = ["malformed_json", "unauthorized", "unsupported_media_type", "validation_failed"] as const;

const createTenantRoute = createRoute({
  method: "post",
  path: "/tenants",
  tags,
  security,
  summary: "Create a tenant",
  request: { body: jsonBody(CreateTenantBody) },
  responses: { 201: jsonResponse(Tenant, "The new tenant."), ...problemResponses(...bodyErrors) },
});

const getTenantRoute = createRoute({
  method: "get",
  path: "/tenants/{id}",
  tags,
  security,
  summary: "Get a tenant",
  request: { params: TenantIdParam },
  responses: { 200: jsonResponse(Tenant, "The tenant."), ...problemResponses("unauthorized", "not_found") },
});

const createKeyRoute = createRoute({
  method: "post",
  path: "/tenants/{id}/keys",
  tags,
  security,
  summary: "Create an API key for a tenant",
  description: "The full key is in this response only; only its SHA-256 hash is stored.",
  request: { params: TenantIdParam, body: jsonBody(CreateKeyBody) },
  responses: { 201: jsonResponse(CreatedApiKey, "The new key."), ...problemResponses(...bodyErrors, "not_found") },
});

const revokeKeyRoute = createRoute({
  method: "delete",
  path: "/tenants/{id}/keys/{key_id}",
  tags,
  security,
  summary: "Revoke a tenant's API key",
  request: { params: TenantIdParam.merge(KeyIdParam) },
  responses: { 200: jsonResponse(ApiKey, "The revoked key."), ...problemResponses("unauthorized", "not_found") },
});

export const admin = createRouter()
  .openapi(createTenantRoute, async (c) => {
    return c.json(presentTenant(await createTenant(c.var.db, c.req.valid("json").name)), 201);
  })
  .openapi(getTenantRoute, async (c) => {
    return c.json(presentTenant(await getTenant(c.var.db, c.req.valid("param").id)), 200);
  })
  .openapi(createKeyRoute, async (c) => {
    const tenant = await getTenant(c.var.db, c.req.valid("param").id);
    return c.json(presentCreatedKey(await createApiKey(c.var.db, tenant.id, c.req.valid("json").mode)), 201);
  })
  .openapi(revokeKeyRoute, async (c) => {
    const { id, key_id } = c.req.valid("param");
    return c.json(presentKey(await revokeApiKey(c.var.db, id, key_id)), 200);
  });
