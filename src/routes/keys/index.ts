import { ApiError } from "../../lib/errors";
import { createRouter } from "../../lib/create-router";
import { jsonBody, jsonResponse, tenantRoute } from "../../lib/openapi";
import { createApiKey, listApiKeys, revokeApiKey } from "../../services/api-keys";
import { assertMayActOn } from "../../services/key-power";
import { listCompatCredentials, revokeCompatCredential } from "../../services/compat-credentials";
import { createCredentialFrom, CreateCredentialBody, CreatedCredentialSchema, Credential, CredentialList, CredentialParams, presentCredential } from "./credentials";
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
  description: "A restricted key revokes only keys restricted to scopes it has (403 `insufficient_scope`).",
  request: { params: SelfKeyIdParam },
  responses: { 200: jsonResponse(ApiKey, "The revoked key.") }
});

const createCredential = tenantRoute({
  method: "post",
  path: "/{id}/credentials",
  tags,
  summary: "Create Twilio or Alibaba credentials for a key",
  description:
    "An Account SID and auth token (`api: twilio`) or an AccessKey ID and secret (`api: alibaba`) that act as the key (its mode and " +
    "scopes) on the Twilio- and Alibaba-compatible APIs. The secret is in this response only. Revoking the key revokes them. " +
    "A restricted key makes and revokes credentials only for keys restricted to scopes it has (403 `insufficient_scope`).",
  request: { params: SelfKeyIdParam, body: jsonBody(CreateCredentialBody) },
  errors: ["limit_exceeded"],
  responses: { 201: jsonResponse(CreatedCredentialSchema, "The new credential.") },
});

const listCredentials = tenantRoute({
  method: "get",
  path: "/{id}/credentials",
  tags,
  summary: "List a key's Twilio and Alibaba credentials (never their secrets)",
  request: { params: SelfKeyIdParam },
  responses: { 200: jsonResponse(CredentialList, "The key's credentials, newest first.") },
});

const revokeCredential = tenantRoute({
  method: "delete",
  path: "/{id}/credentials/{credential_id}",
  tags,
  summary: "Revoke a Twilio or Alibaba credential",
  description: "A restricted key revokes only credentials of keys restricted to scopes it has (403 `insufficient_scope`).",
  request: { params: CredentialParams },
  responses: { 200: jsonResponse(Credential, "The revoked credential.") },
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
    assertMayActOn(c.var.auth, scopes, "create");
    return c.json(presentCreatedKey(await createApiKey(c.var.control, c.var.auth.tenantId, mode, scopes)), 201);
  })
  .openapi(remove, async (c) => {
    const row = await revokeApiKey(c.var.control, c.var.auth, c.req.valid("param").id);
    return c.json(presentKey(row), 200);
  })
  .openapi(createCredential, async (c) => {
    return c.json(await createCredentialFrom(c.env, c.var.control, c.var.auth, c.req.valid("param").id, c.req.valid("json")), 201);
  })
  .openapi(listCredentials, async (c) => {
    // A key reaches the credentials of keys of its own mode, as it reaches the keys themselves.
    return c.json({ data: (await listCompatCredentials(c.var.control, c.var.auth, c.req.valid("param").id)).map(presentCredential) }, 200);
  })
  .openapi(revokeCredential, async (c) => {
    const { id, credential_id } = c.req.valid("param");
    return c.json(presentCredential(await revokeCompatCredential(c.var.control, c.var.auth, id, credential_id)), 200);
  });
