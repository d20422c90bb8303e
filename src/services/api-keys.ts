import { and, desc, eq, isNull } from "drizzle-orm";
import type { Db } from "../db/client";
import { apiKeys, tenants, type ApiKeyRow, type TenantRow } from "../db/schema";
import { displayPrefix, generateApiKey, type KeyMode } from "../domain/api-key";
import { randomBytes, sha256Hex } from "../lib/crypto";
import { ApiError } from "../lib/errors";
import { newId } from "../lib/ids";

/** Creates a key and returns it in full, the only time it is ever available; only its hash is kept. */
export async function createApiKey(db: Db, tenantId: string, mode: KeyMode): Promise<ApiKeyRow & { key: string }> {
  const key = generateApiKey(mode, randomBytes);
  const row: ApiKeyRow = {
    id: newId("apiKey"),
    tenantId,
    mode,
    prefix: displayPrefix(key),
    hash: await sha256Hex(key),
    createdAt: Date.now(),
    revokedAt: null,
  };
  await db.insert(apiKeys).values(row);
  return { ...row, key };
}

/** The key and its tenant's metering and sandbox flags, in the one read every authenticated request makes. */
export async function findActiveKey(
  db: Db,
  key: string,
): Promise<(ApiKeyRow & Pick<TenantRow, "metered" | "sandbox" | "quietHours">) | undefined> {
  const hash = await sha256Hex(key);
  const [row] = await db
    .select({ key: apiKeys, metered: tenants.metered, sandbox: tenants.sandbox, quietHours: tenants.quietHours })
    .from(apiKeys)
    .innerJoin(tenants, eq(tenants.id, apiKeys.tenantId))
    .where(and(eq(apiKeys.hash, hash), isNull(apiKeys.revokedAt)));
  return row && { ...row.key, metered: row.metered, sandbox: row.sandbox, quietHours: row.quietHours };
}

export async function listApiKeys(db: Db, tenantId: string): Promise<ApiKeyRow[]> {
  return db.select().from(apiKeys).where(eq(apiKeys.tenantId, tenantId)).orderBy(desc(apiKeys.id));
}

/** Revokes a tenant's key; revoking twice is harmless. Another tenant's key is not found. */
export async function revokeApiKey(db: Db, tenantId: string, keyId: string): Promise<ApiKeyRow> {
  const scope = and(eq(apiKeys.id, keyId), eq(apiKeys.tenantId, tenantId));
  const [revoked] = await db
    .update(apiKeys)
    .set({ revokedAt: Date.now() })
    .where(and(scope, isNull(apiKeys.revokedAt)))
    .returning();
  if (revoked) return revoked;
  const existing = await db.query.apiKeys.findFirst({ where: scope });
  if (!existing) throw new ApiError("not_found", `No API key ${keyId}.`);
  return existing;
}
