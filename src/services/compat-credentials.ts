// Credentials of the compatible APIs: a Twilio Account SID and auth token, or an Alibaba AccessKey ID and
// secret, each standing for one of the tenant's API keys (its mode and scopes). Shown once; kept hashed
// (what Twilio's Basic auth is checked against) and encrypted (Alibaba's signatures and Twilio's callback
// signatures are HMACs keyed with the secret itself, so it must be readable).
import { and, desc, eq, isNull } from "drizzle-orm";
import type { Db } from "../db/client";
import { apiKeys, compatCredentials, tenants, type CompatCredentialRow } from "../db/schema";
import type { CompatApi } from "../domain/compat/apis";
import { randomBytes, secretsEqual, sha256Hex, toHex } from "../lib/crypto";
import { decryptText, encryptText } from "../lib/data-crypto";
import { ApiError, limitExceeded } from "../lib/errors";
import { TtlCache } from "../lib/ttl-cache";
import { KEY_CACHE_MS, type ActiveKey } from "./api-keys";

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

function base62(length: number): string {
  let text = "";
  while (text.length < length) {
    // 248 = 4 × 62: rejecting higher bytes keeps every character equally likely.
    for (const byte of randomBytes(length * 2)) if (byte < 248 && text.length < length) text += BASE62[byte % 62];
  }
  return text;
}

/** Each vendor's shapes: Twilio's `AC` + 32 hex and a 32-hex token; Alibaba's `LTAI` + 20 and a 30-character secret. */
const SHAPES: Record<CompatApi, () => { id: string; secret: string }> = {
  twilio: () => ({ id: `AC${toHex(randomBytes(16))}`, secret: toHex(randomBytes(16)) }),
  alibaba: () => ({ id: `LTAI${base62(20)}`, secret: base62(30) }),
};

/** Credentials one key may have at once (rotation needs two). */
export const MAX_CREDENTIALS_PER_KEY = 5;

export type CreatedCredential = CompatCredentialRow & { plainSecret: string };

/** Makes a credential for one of the tenant's active keys; `mode` given (a key asking), only a key of that mode. */
export async function createCompatCredential(
  control: Db,
  dataKey: string | undefined,
  owner: { tenantId: string; mode?: "test" | "live" },
  keyId: string,
  api: CompatApi,
  reportUrl: string | null,
): Promise<CreatedCredential> {
  const key = await control.query.apiKeys.findFirst({
    where: and(eq(apiKeys.id, keyId), eq(apiKeys.tenantId, owner.tenantId), owner.mode ? eq(apiKeys.mode, owner.mode) : undefined, isNull(apiKeys.revokedAt)),
  });
  if (!key) throw new ApiError("not_found", `No active API key ${keyId}.`);
  const existing = await control.$count(compatCredentials, and(eq(compatCredentials.keyId, keyId), isNull(compatCredentials.revokedAt)));
  if (existing >= MAX_CREDENTIALS_PER_KEY) throw limitExceeded("credentials per key", MAX_CREDENTIALS_PER_KEY);
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
  await control.insert(compatCredentials).values(row);
  return { ...row, plainSecret: secret };
}

/** A key's credentials (never their secrets). */
export async function listCompatCredentials(control: Db, tenantId: string, keyId: string): Promise<CompatCredentialRow[]> {
  return control
    .select()
    .from(compatCredentials)
    .where(and(eq(compatCredentials.tenantId, tenantId), eq(compatCredentials.keyId, keyId)))
    .orderBy(desc(compatCredentials.createdAt));
}

export async function revokeCompatCredential(control: Db, tenantId: string, keyId: string, id: string): Promise<CompatCredentialRow> {
  const scope = and(eq(compatCredentials.id, id), eq(compatCredentials.tenantId, tenantId), eq(compatCredentials.keyId, keyId));
  const [revoked] = await control.update(compatCredentials).set({ revokedAt: Date.now() }).where(and(scope, isNull(compatCredentials.revokedAt))).returning();
  verified.delete(id);
  const row = revoked ?? (await control.query.compatCredentials.findFirst({ where: scope }));
  if (!row) throw new ApiError("not_found", `No credential ${id}.`);
  return row;
}

/** A verified credential: its key (tenant, mode, scopes, shard) and its secret, for the HMACs. */
export interface ActiveCredential {
  id: string;
  api: CompatApi;
  key: ActiveKey;
  secretHash: string;
  secret: string;
  reportUrl: string | null;
}

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

/** Twilio's Basic auth: the token against the stored hash, in constant time. */
export async function tokenMatches(credential: ActiveCredential, token: string): Promise<boolean> {
  return secretsEqual(await sha256Hex(token), credential.secretHash);
}

/** The auth tokens that sign Twilio callbacks, by Account SID; each looked up with its tenant. */
export async function callbackSigningSecrets(
  control: Db,
  dataKey: string | undefined,
  credentials: readonly { id: string; tenantId: string }[],
): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const unique = [...new Map(credentials.map((c) => [c.id, c])).values()];
  await Promise.all(
    unique.map(async ({ id, tenantId }) => {
      const cached = verified.get(id);
      if (cached && cached.key.tenantId === tenantId) return found.set(id, cached.secret);
      const row = await control.query.compatCredentials.findFirst({ where: and(eq(compatCredentials.id, id), eq(compatCredentials.tenantId, tenantId)) });
      // A revoked credential no longer signs: its callbacks fail (and are retried) rather than go unsigned.
      if (row && row.revokedAt === null) found.set(id, await decryptText(dataKey, row.tenantId, row.secret));
    }),
  );
  return found;
}
