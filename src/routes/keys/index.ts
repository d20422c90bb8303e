import { createRoute } from "@hono/zod-openapi";
import { ApiError } from "../../lib/errors";
import { createRouter } from "../../lib/create-router";
import { jsonBody, jsonResponse, problemResponses } from "../../lib/openapi";
import { createApiKey, listApiKeys, revokeApiKey } from "../../services/api-keys";
import { ApiKey, ApiKeyList, CreatedApiKey, CreateKeyBody, presentCreatedKey, presentKey, SelfKeyIdParam } from "./schemas";

const tags = ["API keys"];
const security = [{ ApiKey: [] }];

const list = createRoute({
  method: "get",
  path: "/",
  tags,
  security,
  summary: "List your API keys (never their secrets)",
  responses: { 200: jsonResponse(ApiKeyList, "Your keys, newest first."), ...problemResponses("unauthorized", "rate_limited") },
});

const create = createRoute({
  method: "post",
  path: "/",
  tags,
  security,
  summary: "Create an API key",
  description: "The full key is in this response only. A test key can create only test keys.",
  request: { body: jsonBody(CreateKeyBody) },
  responses: {
    201: jsonResponse(CreatedApiKey, "The new key."),
    ...problemResponses("malformed_json", "unauthorized", "unsupported_media_type", "validation_failed", "rate_limited"),
  },
});

const remove = createRoute({
  method: "delete",
  path: "/{id}",
  tags,
  security,
  summary: "Revoke an API key",
  request: { params: SelfKeyIdParam },
  responses: { 200: jsonResponse(ApiKey, "The revoked key."), ...problemResponses("unauthorized", "not_found", "rate_limited") },
});

export const keys = createRouter()
  .openapi(list, async (c) => {
    const rows = await listApiKeys(c.var.db, c.var.auth.tenantId);
    return c.json({ data: rows.map(presentKey) }, 200);
  })
  .openapi(create, async (c) => {
    const { mode } = c.req.valid("json");
    if (mode === "live" && c.var.auth.mode === "test") {
      throw new ApiError("validation_failed", "A test key can create only test keys.", {
        errors: [{ path: "body.mode", message: "a test key can create only test keys" }],
      });
    }
    return c.json(presentCreatedKey(await createApiKey(c.var.db, c.var.auth.tenantId, mode)), 201);
  })
  .openapi(remove, async (c) => {
    const row = await revokeApiKey(c.var.db, c.var.auth.tenantId, c.req.valid("param").id);
    return c.json(presentKey(row), 200);
  });
