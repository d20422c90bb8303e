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
 * What both modes share and live traffic uses: a test key reads it, and may add new templates, senders and groups
 * (nothing live uses them yet), but changes and deletes nothing, since test keys live on laptops and in CI, where
 * keys leak (docs/API.md, "Test keys cannot change what live traffic uses").
 */
export const SHARED_SETTINGS = [
  "/v1/blocklist",
  "/v1/allowlist",
  "/v1/templates",
  "/v1/senders",
  "/v1/contacts",
  "/v1/groups",
  "/v1/content-rules",
  "/v1/keywords",
  "/v1/account/quiet-hours",
] as const;
const CREATABLE_BY_TEST_KEYS = new Set(["/v1/templates", "/v1/senders", "/v1/groups"]);

export const testKeysReadOnly = createMiddleware<AppEnv>(async (c, next) => {
  const method = c.req.method;
  const path = c.req.path.replace(/\/$/, "");
  if (c.var.auth.mode === "test" && method !== "GET" && method !== "HEAD" && !(method === "POST" && CREATABLE_BY_TEST_KEYS.has(path))) {
    throw new ApiError(
      "test_key_read_only",
      "A test key cannot change what live traffic uses (block and allow lists, templates, senders, contacts and groups, content rules, keywords, quiet hours); it may read them and add new templates, senders and groups. Use a live key.",
    );
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
