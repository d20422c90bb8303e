import { z } from "@hono/zod-openapi";
import type { ApiKeyRow } from "../../db/schema";
import { KEY_MODES } from "../../domain/api-key";

export const CreateKeyBody = z.object({ mode: z.enum(KEY_MODES) }).strict().openapi("CreateApiKeyRequest");

export const ApiKey = z
  .object({
    id: z.string(),
    prefix: z.string().openapi({ example: "sk_test_4fT9", description: "The start of the key, to recognise it." }),
    mode: z.enum(KEY_MODES),
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
