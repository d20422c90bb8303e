import { ApiError } from "../../lib/errors";
import { createRouter } from "../../lib/create-router";
import { jsonBody, jsonResponse, tenantRoute } from "../../lib/openapi";
import { canGrant } from "../../domain/scopes";
import { createApiKey, listApiKeys, revokeApiKey } from "../../services/api-keys";
import { ApiKey, ApiKeyList, CreatedApiKey, CreateKeyBody, presentCreatedKey, presentKey, SelfKeyIdParam } from "./schemas";

const tags = ["API keys"];

const list = tenantRoute({
  method: "get",
  path: "/",
  tags,
  summary: "List your API keys (never their secrets)",
  responses: { 200: jsonResponse(ApiKeyList, "Your keys, newest first.") }
});

const create = tenantRoute({
  method: "post",
  path: "/",
  tags,
  summary: "Create an API key",
  description:
    "The full key is in this response only. A key creates keys of its own mode only, and a restricted key only keys " +
    "restricted to scopes it has.",
  request: { body: jsonBody(CreateKeyBody) },
  responses: {
    201: jsonResponse(CreatedApiKey, "The new key."),
  },
});

const remove = tenantRoute({
  method: "delete",
  path: "/{id}",
  tags,
  summary: "Revoke an API key",
  request: { params: SelfKeyIdParam },
  responses: { 200: jsonResponse(ApiKey, "The revoked key.") }
});

export const router = createRouter()
  .openapi(list, async (c) => {
    const rows = await listApiKeys(c.var.control, c.var.auth);
    return c.json({ data: rows.map(presentKey) }, 200);
  })
  .openapi(create, async (c) => {
    const { mode, scopes = null } = c.req.valid("json");
    if (mode !== c.var.auth.mode) {
      throw new ApiError("validation_failed", `A ${c.var.auth.mode} key creates only ${c.var.auth.mode} keys.`, {
        errors: [{ path: "body.mode", message: `a ${c.var.auth.mode} key creates only ${c.var.auth.mode} keys` }],
      });
    }
    if (!canGrant(c.var.auth.scopes ?? null, scopes)) {
      throw new ApiError("insufficient_scope", "A restricted key can create only keys restricted to scopes it has.", {
        extra: { scope: scopes?.find((scope) => !c.var.auth.scopes?.includes(scope)) ?? "keys:write" },
      });
    }
    return c.json(presentCreatedKey(await createApiKey(c.var.control, c.var.auth.tenantId, mode, scopes)), 201);
  })
  .openapi(remove, async (c) => {
    const row = await revokeApiKey(c.var.control, c.var.auth, c.req.valid("param").id);
    return c.json(presentKey(row), 200);
  });
