import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { observeD1 } from "../../src/db/probe";
import { findActiveKey } from "../../src/services/api-keys";
import { KEY_CACHE_MS } from "../../src/domain/api-key";
import { ApiKey, CreatedApiKey } from "../../src/routes/keys/schemas";
import { DEFAULT_LIMITS } from "../../src/domain/limits";
import { Tenant } from "../../src/routes/admin/schemas";
import { ADMIN, call, createTenant, expectProblem, okJson } from "../helpers/api";

describe("operator API", () => {
  it("creates and reads a tenant", async () => {
    const created = Tenant.parse(await okJson(await call("/v1/admin/tenants", { method: "POST", headers: ADMIN, json: { name: "  Acme  " } }), 201));
    expect(created).toMatchObject({ name: "Acme" });
    expect(created.id).toMatch(/^ten_/);
    const detail = await okJson(await call(`/v1/admin/tenants/${created.id}`, { headers: ADMIN }), 200);
    expect(detail).toEqual({ ...created, shard: expect.stringMatching(/^SHARD_[12]$/), retention_days: 90, metered: true, sandbox: true, balance: 0, currency: "USD", limits: DEFAULT_LIMITS });
  });

  it("answers 404 for an unknown tenant and 422 for a nameless one", async () => {
    await expectProblem(await call("/v1/admin/tenants/ten_missing", { headers: ADMIN }), 404, "not_found");
    await expectProblem(
      await call("/v1/admin/tenants/ten_missing/keys", { method: "POST", headers: ADMIN, json: { mode: "test" } }),
      404,
      "not_found",
    );
    const problem = await expectProblem(
      await call("/v1/admin/tenants", { method: "POST", headers: ADMIN, json: { name: " " } }),
      422,
      "validation_failed",
    );
    expect(problem.errors?.[0]?.path).toBe("body.name");
  });

  it("issues keys shown once, and revokes them", async () => {
    const { tenantId, key, keyId } = await createTenant("live");
    expect(key).toMatch(/^sk_live_[0-9A-Za-z]{32}$/);
    const revoked = ApiKey.parse(await okJson(await call(`/v1/admin/tenants/${tenantId}/keys/${keyId}`, { method: "DELETE", headers: ADMIN }), 200));
    expect(revoked.revoked_at).not.toBeNull();
    await expectProblem(await call("/v1/keys", { key }), 401, "unauthorized");
    // Revoking again is harmless and keeps the first revocation time.
    const again = await okJson(await call(`/v1/admin/tenants/${tenantId}/keys/${keyId}`, { method: "DELETE", headers: ADMIN }), 200);
    expect(again.revoked_at).toBe(revoked.revoked_at);
  });
});

describe("self-service keys", () => {
  it("lists keys with their prefix and never their secret", async () => {
    const { key, keyId } = await createTenant();
    const list = await okJson(await call("/v1/keys", { key }), 200);
    expect(list.data).toHaveLength(1);
    expect(ApiKey.strict().parse(list.data[0])).toMatchObject({ id: keyId, mode: "test", prefix: key.slice(0, 12), revoked_at: null });
    expect(JSON.stringify(list)).not.toContain(key.slice(12));
  });

  it("creates a key that works at once, and revokes it", async () => {
    const { key } = await createTenant();
    const created = CreatedApiKey.parse(await okJson(await call("/v1/keys", { method: "POST", key, json: { mode: "test" } }), 201));
    expect(created.key).not.toBe(key);
    expect((await call("/v1/keys", { key: created.key })).status).toBe(200);
    await okJson(await call(`/v1/keys/${created.id}`, { method: "DELETE", key }), 200);
    await expectProblem(await call("/v1/keys", { key: created.key }), 401, "unauthorized");
    expect((await call("/v1/keys", { key })).status).toBe(200);
  });

  it("lets a key create keys of its own mode only", async () => {
    const { key } = await createTenant("test");
    const problem = await expectProblem(await call("/v1/keys", { method: "POST", key, json: { mode: "live" } }), 422, "validation_failed");
    expect(problem.errors).toEqual([{ path: "body.mode", message: "a test key creates only test keys" }]);
    const live = await createTenant("live");
    expect((await call("/v1/keys", { method: "POST", key: live.key, json: { mode: "live" } })).status).toBe(201);
    // A live key cannot make a test key it could then neither list nor revoke.
    await expectProblem(await call("/v1/keys", { method: "POST", key: live.key, json: { mode: "test" } }), 422, "validation_failed");
  });

  it("answers 404 when revoking a key that does not exist", async () => {
    const { key } = await createTenant();
    await expectProblem(await call("/v1/keys/key_missing", { method: "DELETE", key }), 404, "not_found");
  });
});

describe("verified keys", () => {
  it("stops a key revoked in another isolate within KEY_CACHE_MS, and reads D1 only once per key in that time", async () => {
    const { key, keyId } = await createTenant();
    const reads: string[] = [];
    const stop = observeD1((call) => reads.push(...call.sql));
    const db = createDb(env.DB);
    const now = Date.now();
    try {
      expect(await findActiveKey(db, key, now)).toMatchObject({ id: keyId });
      expect(await findActiveKey(db, key, now + 1_000)).toMatchObject({ id: keyId });
      expect(reads.filter((sql) => sql.includes("api_keys"))).toHaveLength(1);
      // Another isolate revokes it: only D1 changes, this isolate's copy does not know.
      await env.DB.prepare("UPDATE api_keys SET revoked_at = ? WHERE id = ?").bind(now, keyId).run();
      expect(await findActiveKey(db, key, now + KEY_CACHE_MS - 1)).toMatchObject({ id: keyId });
      expect(await findActiveKey(db, key, now + KEY_CACHE_MS + 1)).toBeUndefined();
    } finally {
      stop();
    }
  });

  it("stops a key at once in the isolate that revoked it, though it was just used", async () => {
    const { key, keyId } = await createTenant();
    await okJson(await call("/v1/keys", { key }), 200);
    await okJson(await call(`/v1/keys/${keyId}`, { method: "DELETE", key }), 200);
    await expectProblem(await call("/v1/keys", { key }), 401, "unauthorized");
  });
});
