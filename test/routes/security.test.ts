import { describe, expect, it } from "vitest";
import { ADMIN, call, createTenant, expectProblem, okJson, sendMessage } from "../helpers/api";
import { concretePath, documentedOperations } from "../helpers/openapi";
import { number } from "../helpers/seed";

// Every operation the OpenAPI document says takes a tenant key: a route added to the app is covered here.
const { operations } = await documentedOperations();
const TENANT_ROUTES = operations.filter((op) => op.kind === "tenant").map((op) => [op.method, concretePath(op.path, "zz_none"), op.method === "GET" ? undefined : {}] as const);

describe("tenant authentication", () => {
  it("covers every tenant operation of the document", () => {
    expect(TENANT_ROUTES.length).toBeGreaterThan(60);
  });

  it.each(TENANT_ROUTES)("%s %s answers 401 without a key, with a malformed, unknown or revoked key", async (method, path, json) => {
    const { key, keyId, tenantId } = await createTenant();
    const revoke = await call(`/v1/admin/tenants/${tenantId}/keys/${keyId}`, { method: "DELETE", headers: ADMIN });
    expect(revoke.status).toBe(200);
    for (const headers of <Record<string, string>[]>[
      {},
      { authorization: "Basic dXNlcjpwYXNz" },
      { authorization: "Bearer sk_test_tooShort" },
      { authorization: `Bearer sk_test_${"A".repeat(32)}` },
      { authorization: `Bearer ${key}` },
    ]) {
      await expectProblem(await call(path, { method, headers, json }), 401, "unauthorized");
    }
  });

  it("does not accept the operator token as a tenant key, nor a tenant key on the operator API", async () => {
    const { key, tenantId } = await createTenant();
    await expectProblem(await call("/v1/messages", { headers: ADMIN }), 401, "unauthorized");
    await expectProblem(await call(`/v1/admin/tenants/${tenantId}`, { key }), 401, "unauthorized");
    await expectProblem(await call(`/v1/admin/tenants/${tenantId}`, { headers: { authorization: "Bearer wrong" } }), 401, "unauthorized");
  });
});

describe("tenant isolation", () => {
  it("hides one tenant's messages and keys from another: 404, never 403, and absent from lists", async () => {
    const a = await createTenant();
    const b = await createTenant();
    const message = await sendMessage(a.key, { to: number(), body: "for A only" });

    await expectProblem(await call(`/v1/messages/${message.id}`, { key: b.key }), 404, "not_found");
    expect((await okJson(await call("/v1/messages", { key: b.key }), 200)).data).toEqual([]);
    const listed = await okJson(await call(`/v1/messages?to=${encodeURIComponent(message.to)}`, { key: b.key }), 200);
    expect(listed.data).toEqual([]);

    await expectProblem(await call(`/v1/keys/${a.keyId}`, { method: "DELETE", key: b.key }), 404, "not_found");
    const bKeys = await okJson(await call("/v1/keys", { key: b.key }), 200);
    expect(bKeys.data.map((k: { id: string }) => k.id)).toEqual([b.keyId]);
    // A's key still works.
    expect((await call(`/v1/messages/${message.id}`, { key: a.key })).status).toBe(200);
  });

  it("lets the operator revoke a key only through its own tenant", async () => {
    const a = await createTenant();
    const b = await createTenant();
    await expectProblem(
      await call(`/v1/admin/tenants/${b.tenantId}/keys/${a.keyId}`, { method: "DELETE", headers: ADMIN }),
      404,
      "not_found",
    );
    expect((await call("/v1/keys", { key: a.key })).status).toBe(200);
  });
});
