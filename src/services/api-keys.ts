import { and, desc, eq, isNull } from "drizzle-orm";
import type { Db } from "../db/client";
import { apiKeys, tenants, type ApiKeyRow, type TenantRow } from "../db/schema";
import { displayPrefix, generateApiKey, type KeyMode } from "../domain/api-key";
import { randomBytes, sha256Hex } from "../lib/crypto";
import { ApiError } from "../lib/errors";
import { newId } from "../lib/ids";
import { TtlCache } from "../lib/ttl-cache";
import type { Scope } from "../domain/scopes";
import type { ActiveKey, Owner } from "../types";
import { KEY_CACHE_MS } from "../domain/api-key";
import { forgetVerifiedCredentials } from "./compat-credentials";
import { assertMayActOn, type KeyActor } from "./key-power";

/** Creates a key and returns it in full, the only time it is ever available; only its hash is kept. */
export async function createApiKey(db: Db, tenantId: string, mode: KeyMode, scopes: Scope[] | null = null): Promise<ApiKeyRow & { key: string }> {
  const key = generateApiKey(mode, randomBytes);
  const row: ApiKeyRow = {
    id: newId("apiKey"),
    tenantId,
    mode,
    scopes: scopes && [...new Set(scopes)].sort(),
    prefix: displayPrefix(key),
    hash: await sha256Hex(key),
    createdAt: Date.now(),
    revokedAt: null,
  };
  await db.insert(apiKeys).values(row);
  return { ...row, key };
}

export type { ActiveKey };
/** Keys verified per isolate; the oldest goes first. Unknown keys are never cached, so guesses cannot fill it. */
const KEY_CACHE_ENTRIES = 10_000;
const verified = new TtlCache<ActiveKey>(KEY_CACHE_MS, KEY_CACHE_ENTRIES);

/** Forgets every verified key: their tenants' flags may have changed. */
export function forgetVerifiedKeys(): void {
  verified.clear();
  forgetVerifiedCredentials();
}

/**
 * The key and its tenant's metering and sandbox flags and shard. A key this isolate verified in the last
 * KEY_CACHE_MS costs no D1 read; the cache is keyed by the key's hash, so it holds no key.
 */
export async function findActiveKey(db: Db, key: string, now = Date.now()): Promise<ActiveKey | undefined> {
  const hash = await sha256Hex(key);
  const cached = verified.get(hash, now);
  if (cached) return cached;
  const [row] = await db
    .select({ key: apiKeys, metered: tenants.metered, sandbox: tenants.sandbox, quietHours: tenants.quietHours, shard: tenants.shard, retentionDays: tenants.retentionDays })
    .from(apiKeys)
    .innerJoin(tenants, eq(tenants.id, apiKeys.tenantId))
    .where(and(eq(apiKeys.hash, hash), isNull(apiKeys.revokedAt)));
  return row && verified.set(hash, { ...row.key, metered: row.metered, sandbox: row.sandbox, quietHours: row.quietHours, shard: row.shard, retentionDays: row.retentionDays }, now);
}

/** A key sees the keys of its own mode: a test key cannot list or revoke live ones. */
export async function listApiKeys(db: Db, owner: Owner): Promise<ApiKeyRow[]> {
  return db
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.tenantId, owner.tenantId), eq(apiKeys.mode, owner.mode)))
    .orderBy(desc(apiKeys.id));
}

/**
 * Revokes a tenant's key; revoking twice is harmless. Another tenant's key is not found, nor, for a key
 * (`owner.mode` given), a key of the other mode; a restricted key revokes only keys within its scopes
 * (`assertMayActOn`); the operator revokes any of the tenant's keys.
 */
export async function revokeApiKey(db: Db, owner: KeyActor, keyId: string): Promise<ApiKeyRow> {
  const scope = and(eq(apiKeys.id, keyId), eq(apiKeys.tenantId, owner.tenantId), owner.mode ? eq(apiKeys.mode, owner.mode) : undefined);
  const target = await db.query.apiKeys.findFirst({ columns: { scopes: true }, where: scope });
  if (!target) throw new ApiError("not_found", `No API key ${keyId}.`);
  assertMayActOn(owner, target.scopes, "revoke");
  const [revoked] = await db
    .update(apiKeys)
    .set({ revokedAt: Date.now() })
    .where(and(scope, isNull(apiKeys.revokedAt)))
    .returning();
  if (revoked) {
    verified.delete(revoked.hash);
    // Its Twilio and Alibaba credentials stand for it: they stop with it (revocations are rare, so all are re-read).
    forgetVerifiedCredentials();
    return revoked;
  }
  const existing = await db.query.apiKeys.findFirst({ where: scope });
  if (!existing) throw new ApiError("not_found", `No API key ${keyId}.`);
  return existing;
}
