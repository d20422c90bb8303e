// Credentials of the compatible APIs: a Twilio Account SID and auth token, or an Alibaba AccessKey ID and
// secret, each standing for one of the tenant's API keys (its mode and scopes). Shown once; kept hashed
// (what Twilio's Basic auth is checked against) and encrypted (Alibaba's signatures and Twilio's callback
// signatures are HMACs keyed with the secret itself, so it must be readable).
import { and, desc, eq, isNull, sql } from "drizzle-orm";
import { insertJsonRows } from "../db/json-rows";
import { runBatch } from "../db/statements";
import type { Db } from "../db/client";
import { apiKeys, compatCredentials, tenants, type CompatCredentialRow } from "../db/schema";
import type { CompatApi } from "../domain/compat/apis";
import { randomBase62 } from "../domain/api-key";
import { randomBytes, sha256Hex, toHex } from "../lib/crypto";
import { decryptText, encryptText } from "../lib/data-crypto";
import { ApiError, limitExceeded } from "../lib/errors";
import { TtlCache } from "../lib/ttl-cache";
import { KEY_CACHE_MS } from "../domain/api-key";
import type { ActiveCredential } from "../types";
import { assertMayActOn, type KeyActor } from "./key-power";

/** Each vendor's shapes: Twilio's `AC` + 32 hex and a 32-hex token; Alibaba's `LTAI` + 20 and a 30-character secret. */
const SHAPES: Record<CompatApi, () => { id: string; secret: string }> = {
  twilio: () => ({ id: `AC${toHex(randomBytes(16))}`, secret: toHex(randomBytes(16)) }),
  alibaba: () => ({ id: `LTAI${randomBase62(20, randomBytes)}`, secret: randomBase62(30, randomBytes) }),
};

/** Credentials one key may have at once (rotation needs two). */
export const MAX_CREDENTIALS_PER_KEY = 5;

export type CreatedCredential = CompatCredentialRow & { plainSecret: string };

/**
 * Whose credentials a request reaches: a tenant's, and with `mode` (a key asking) only those of keys of that
 * mode; with `scopes` (a restricted key) it makes and revokes only those of keys within its scopes.
 */
type CredentialOwner = KeyActor;

/** One of the owner's keys (active ones only, when `active`), or not found. */
async function ownedKey(control: Db, owner: CredentialOwner, keyId: string, active: boolean) {
  const key = await control.query.apiKeys.findFirst({
    columns: { id: true, scopes: true },
    where: and(eq(apiKeys.id, keyId), eq(apiKeys.tenantId, owner.tenantId), owner.mode ? eq(apiKeys.mode, owner.mode) : undefined, active ? isNull(apiKeys.revokedAt) : undefined),
  });
  if (!key) throw new ApiError("not_found", `No ${active ? "active " : ""}API key ${keyId}.`);
  return key;
}

/** Makes a credential for one of the owner's active keys, at most MAX_CREDENTIALS_PER_KEY unrevoked a key. */
export async function createCompatCredential(control: Db, dataKey: string | undefined, owner: CredentialOwner, keyId: string, api: CompatApi, reportUrl: string | null): Promise<CreatedCredential> {
  assertMayActOn(owner, (await ownedKey(control, owner, keyId, true)).scopes, "make credentials for");
  const { id, secret } = SHAPES[api]();
  const row: CompatCredentialRow = {
    id,
    api,
    tenantId: owner.tenantId,
    keyId,
    secretHash: await sha256Hex(secret),
    secret: await encryptText(dataKey, owner.tenantId, secret),
    reportUrl,
    createdAt: Date.now(),
    revokedAt: null,
  };
  // The count and the insert are one statement: two concurrent creates cannot both take the last place.
  const room = sql`(SELECT COUNT(*) FROM compat_credentials WHERE key_id = ${keyId} AND revoked_at IS NULL) < ${MAX_CREDENTIALS_PER_KEY}`;
  const [inserted] = await runBatch<{ id: string }>(control, [sql`${insertJsonRows(compatCredentials, [row], room)} RETURNING id`]);
  if (inserted!.length === 0) throw limitExceeded("credentials per key", MAX_CREDENTIALS_PER_KEY);
  return { ...row, plainSecret: secret };
}

/** One of the owner's keys' credentials (never their secrets), newest first. */
export async function listCompatCredentials(control: Db, owner: CredentialOwner, keyId: string): Promise<CompatCredentialRow[]> {
  await ownedKey(control, owner, keyId, false);
  return control
    .select()
    .from(compatCredentials)
    .where(and(eq(compatCredentials.tenantId, owner.tenantId), eq(compatCredentials.keyId, keyId)))
    .orderBy(desc(compatCredentials.createdAt));
}

/** Revokes one of the owner's keys' credentials; revoking twice is harmless. */
export async function revokeCompatCredential(control: Db, owner: CredentialOwner, keyId: string, id: string): Promise<CompatCredentialRow> {
  assertMayActOn(owner, (await ownedKey(control, owner, keyId, false)).scopes, "revoke credentials of");
  const scope = and(eq(compatCredentials.id, id), eq(compatCredentials.tenantId, owner.tenantId), eq(compatCredentials.keyId, keyId));
  const [revoked] = await control.update(compatCredentials).set({ revokedAt: Date.now() }).where(and(scope, isNull(compatCredentials.revokedAt))).returning();
  verified.delete(id);
  const row = revoked ?? (await control.query.compatCredentials.findFirst({ where: scope }));
  if (!row) throw new ApiError("not_found", `No credential ${id}.`);
  return row;
}

export type { ActiveCredential };

/** Looked-up credentials per isolate, as keys are (src/services/api-keys.ts): unknown ids are never cached. */
const verified = new TtlCache<ActiveCredential>(KEY_CACHE_MS, 10_000);

export function forgetVerifiedCredentials(): void {
  verified.clear();
}

/** The active credential `id` of `api`, with its key's tenant flags; undefined if unknown, revoked, or its key is. */
export async function findCompatCredential(control: Db, dataKey: string | undefined, api: CompatApi, id: string, now = Date.now()): Promise<ActiveCredential | undefined> {
  const cached = verified.get(id, now);
  if (cached) return cached.api === api ? cached : undefined;
  const [row] = await control
    .select({
      credential: compatCredentials,
      key: apiKeys,
      metered: tenants.metered,
      sandbox: tenants.sandbox,
      quietHours: tenants.quietHours,
      shard: tenants.shard,
      retentionDays: tenants.retentionDays,
    })
    .from(compatCredentials)
    .innerJoin(apiKeys, eq(apiKeys.id, compatCredentials.keyId))
    .innerJoin(tenants, eq(tenants.id, compatCredentials.tenantId))
    .where(and(eq(compatCredentials.id, id), eq(compatCredentials.api, api), isNull(compatCredentials.revokedAt), isNull(apiKeys.revokedAt)));
  if (!row) return undefined;
  const { credential, key, ...flags } = row;
  const active: ActiveCredential = {
    id,
    api,
    key: { ...key, ...flags },
    secretHash: credential.secretHash,
    secret: await decryptText(dataKey, credential.tenantId, credential.secret),
    reportUrl: credential.reportUrl,
  };
  return verified.set(id, active, now);
}

/** Twilio's Basic auth: the token's hash against the stored one (both 64 hex digits), in constant time. */
export async function tokenMatches(credential: ActiveCredential, token: string): Promise<boolean> {
  const given = encoder.encode(await sha256Hex(token));
  const stored = encoder.encode(credential.secretHash);
  return given.length === stored.length && crypto.subtle.timingSafeEqual(given, stored);
}

const encoder = new TextEncoder();

/**
 * The auth tokens that sign Twilio callbacks, by Account SID: those this isolate verified recently from its
 * cache, the rest in one statement for the whole consumer batch. Each must belong to its delivery's tenant.
 */
export async function callbackSigningSecrets(
  control: Db,
  dataKey: string | undefined,
  credentials: readonly { id: string; tenantId: string }[],
): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const wanted = new Map(credentials.map((c) => [c.id, c.tenantId]));
  const missing: string[] = [];
  for (const [id, tenantId] of wanted) {
    const cached = verified.get(id);
    if (cached && cached.key.tenantId === tenantId) found.set(id, cached.secret);
    else missing.push(id);
  }
  if (missing.length === 0) return found;
  // A revoked credential no longer signs: its callbacks fail (and are retried) rather than go unsigned.
  const rows = await control
    .select({ id: compatCredentials.id, tenantId: compatCredentials.tenantId, secret: compatCredentials.secret })
    .from(compatCredentials)
    .where(and(sql`${compatCredentials.id} IN (SELECT value FROM json_each(${JSON.stringify(missing)}))`, isNull(compatCredentials.revokedAt)));
  await Promise.all(
    rows.filter((row) => wanted.get(row.id) === row.tenantId).map(async (row) => found.set(row.id, await decryptText(dataKey, row.tenantId, row.secret))),
  );
  return found;
}
