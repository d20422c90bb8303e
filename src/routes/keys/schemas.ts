import { z } from "@hono/zod-openapi";
import type { ApiKeyRow } from "../../db/schema";
import { KEY_MODES } from "../../domain/api-key";
import { SCOPES } from "../../domain/scopes";

const scopes = z
  .array(z.enum(SCOPES))
  .min(1)
  .max(SCOPES.length)
  .nullable()
  .optional()
  .openapi({
    example: ["messages:send", "messages:read"],
    description:
      "A restricted key: only these scopes (`resource:read`, `resource:write`, and `messages:send`); anything else is " +
      "403 `insufficient_scope`. Absent or null: full access to the key's mode. A restricted key can create only keys " +
      "with scopes it has itself.",
  });

export const CreateKeyBody = z.object({ mode: z.enum(KEY_MODES), scopes }).strict().openapi("CreateApiKeyRequest");

export const ApiKey = z
  .object({
    id: z.string(),
    prefix: z.string().openapi({ example: "sk_test_4fT9", description: "The start of the key, to recognise it." }),
    mode: z.enum(KEY_MODES),
    scopes: z.array(z.enum(SCOPES)).nullable().openapi({ description: "A restricted key's scopes; null: full access to its mode." }),
    created_at: z.string(),
    revoked_at: z.string().nullable(),
  })
  .openapi("ApiKey");

export const CreatedApiKey = ApiKey.extend({
  key: z.string().openapi({ description: "The full key. It is shown only in this response; store it now." }),
}).openapi("CreatedApiKey");

export const ApiKeyList = z.object({ data: z.array(ApiKey) }).openapi("ApiKeyList");

export const KeyIdParam = z.object({
  key_id: z.string().min(1).max(64).openapi({ param: { name: "key_id", in: "path" } }),
});

export function presentKey(row: ApiKeyRow): z.infer<typeof ApiKey> {
  return {
    id: row.id,
    prefix: row.prefix,
    mode: row.mode,
    scopes: row.scopes ?? null,
    created_at: new Date(row.createdAt).toISOString(),
    revoked_at: row.revokedAt === null ? null : new Date(row.revokedAt).toISOString(),
  };
}

export function presentCreatedKey(row: ApiKeyRow & { key: string }): z.infer<typeof CreatedApiKey> {
  return { ...presentKey(row), key: row.key };
}

export const SelfKeyIdParam = z.object({
  id: z.string().min(1).max(64).openapi({ param: { name: "id", in: "path" } }),
});
