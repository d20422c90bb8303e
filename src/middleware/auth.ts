import { createMiddleware } from "hono/factory";
import { parseApiKey } from "../domain/api-key";
import { requiredScope } from "../domain/scopes";
import { ApiError } from "../lib/errors";
import { secretsEqual } from "../lib/crypto";
import { findActiveKey, type ActiveKey } from "../services/api-keys";
import type { Context } from "hono";
import { shardDb, shardEnv } from "../db/shards";
import type { AppEnv } from "../types";

function bearer(header: string | undefined): string | null {
  const match = header && /^Bearer\s+(\S+)$/i.exec(header);
  return match ? match[1]! : null;
}

/** Tenant API keys: `Authorization: Bearer sk_test_…`; sets c.var.auth for every /v1 route. */
export const tenantAuth = createMiddleware<AppEnv>(async (c, next) => {
  const key = bearer(c.req.header("authorization"));
  if (!key) throw new ApiError("unauthorized", "Send your API key as `Authorization: Bearer sk_…`.");
  if (!parseApiKey(key)) throw new ApiError("unauthorized", "The API key is malformed.");
  const row = await findActiveKey(c.var.control, key);
  if (!row) throw new ApiError("unauthorized", "The API key is unknown or has been revoked.");
  actAs(c, row);
  await next();
});

/** From here the request works as `row`'s key: on its tenant's shard, and the jobs it enqueues name that shard. */
export function actAs(c: Context<AppEnv>, row: ActiveKey): void {
  c.set("db", shardDb(c.env, row.shard));
  c.env = shardEnv(c.env, row.shard);
  c.set("auth", {
    tenantId: row.tenantId,
    shard: row.shard,
    keyId: row.id,
    mode: row.mode,
    metered: row.metered,
    sandbox: row.sandbox,
    quietHours: row.quietHours,
    retentionDays: row.retentionDays,
    scopes: row.scopes,
  });
}

/** A restricted key reaches only what its scopes name (src/domain/scopes.ts); 403 `insufficient_scope` names the one missing. */
export const requireScope = createMiddleware<AppEnv>(async (c, next) => {
  const { scopes } = c.var.auth;
  const needed = scopes ? requiredScope(c.req.method, c.req.path) : null;
  if (scopes && needed && !(scopes as readonly string[]).includes(needed)) {
    throw new ApiError("insufficient_scope", `This key is restricted; the request needs the \`${needed}\` scope.`, { extra: { scope: needed } });
  }
  await next();
});

/**
 * The block and allow lists serve live traffic (an opt-out, the sandbox's recipients), so a test key reads them but
 * never changes them: test keys live on laptops and in CI, where keys leak (docs/API.md, "Test keys").
 */
export const testKeysReadOnly = createMiddleware<AppEnv>(async (c, next) => {
  if (c.var.auth.mode === "test" && c.req.method !== "GET" && c.req.method !== "HEAD") {
    throw new ApiError("test_key_read_only", "A test key cannot change the block or allow list: live traffic uses them. Use a live key.");
  }
  await next();
});

/** The operator API: `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time. */
export const adminAuth = createMiddleware<AppEnv>(async (c, next) => {
  const token = bearer(c.req.header("authorization"));
  const expected = c.env.ADMIN_TOKEN;
  if (!token || !expected || !(await secretsEqual(token, expected))) {
    throw new ApiError("unauthorized", "The operator API needs `Authorization: Bearer <ADMIN_TOKEN>`.");
  }
  await next();
});
