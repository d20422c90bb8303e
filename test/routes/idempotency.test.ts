import { describe, expect, it } from "vitest";
import { IDEMPOTENCY_TTL_MS } from "../../src/meter/tenant-meter";
import { ADMIN, call, createTenant, expectProblem, okJson } from "../helpers/api";
import { account, credit, ledger, send, setMeterClock, setPrice } from "../helpers/meter";
import { number } from "../helpers/seed";

const NOON = Date.UTC(2030, 5, 1, 12, 0, 0);
const keyed = (key: string) => ({ headers: { "Idempotency-Key": key } });

async function messageCount(key: string) {
  return (await okJson(await call("/v1/messages?limit=100", { key }), 200)).data.length;
}

describe("Idempotency-Key on POST /v1/messages", () => {
  it("replays the first answer, status and body, for the same key and body, and sends nothing more", async () => {
    const { tenantId, key } = await createTenant("live");
    await setPrice("US", 10_000);
    await credit(tenantId, 100_000);
    const body = { to: number(), body: "Your code is 4321", type: "otp" };

    const first = await send(key, body, keyed("order-1"));
    const firstBody = await okJson(first, 202);
    expect(first.headers.get("idempotent-replayed")).toBeNull();

    const again = await send(key, body, keyed("order-1"));
    expect(again.status).toBe(202);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(await again.json()).toEqual(firstBody);

    // No second message, no second charge, no second cap slot (otp allows 1 a minute).
    expect(await messageCount(key)).toBe(1);
    expect((await account(key)).balance).toBe(90_000);
    expect((await ledger(tenantId)).filter((e) => e.kind === "reserve")).toHaveLength(1);
  });

  it("answers 422 idempotency_mismatch for the same key with a different body", async () => {
    const { key } = await createTenant();
    const to = number();
    await okJson(await send(key, { to, body: "first" }, keyed("k-1")), 202);
    const problem = await expectProblem(await send(key, { to, body: "second" }, keyed("k-1")), 422, "idempotency_mismatch");
    expect(problem.detail).toMatch(/different request/);
    expect(await messageCount(key)).toBe(1);
  });

  it("treats a body with the same fields in another order as the same request", async () => {
    const { key } = await createTenant();
    const to = number();
    const first = await okJson(await send(key, { to, body: "x", type: "notification" }, keyed("k-order")), 202);
    const again = await okJson(await send(key, { type: "notification", body: "x", to }, keyed("k-order")), 202);
    expect(again.id).toBe(first.id);
  });

  it("scopes keys to the tenant", async () => {
    const a = await createTenant();
    const b = await createTenant();
    const to = number();
    const fromA = await okJson(await send(a.key, { to, body: "x" }, keyed("shared")), 202);
    const fromB = await okJson(await send(b.key, { to, body: "x" }, keyed("shared")), 202);
    expect(fromB.id).not.toBe(fromA.id);
  });

  it("makes exactly one message from concurrent requests with one key; the others get it or 409", async () => {
    const { key } = await createTenant();
    const body = { to: number(), body: "once" };
    const responses = await Promise.all(Array.from({ length: 10 }, () => send(key, body, keyed("concurrent"))));
    const accepted = responses.filter((r) => r.status === 202);
    const inProgress = responses.filter((r) => r.status === 409);
    expect(accepted.length + inProgress.length).toBe(10);
    expect(accepted.length).toBeGreaterThanOrEqual(1);
    const ids = new Set(await Promise.all(accepted.map(async (r) => (await r.json<{ id: string }>()).id)));
    expect(ids.size).toBe(1);
    for (const r of inProgress) {
      await expectProblem(r, 409, "idempotency_in_progress");
      expect(r.headers.get("retry-after")).toBe("1");
    }
    expect(await messageCount(key)).toBe(1);
    // Once the first is stored, every retry gets it.
    const later = await okJson(await send(key, body, keyed("concurrent")), 202);
    expect(ids.has(later.id)).toBe(true);
  });

  it("forgets a key after 24 hours: the same key then makes a new message", async () => {
    const { tenantId, key } = await createTenant();
    await setMeterClock(tenantId, NOON);
    const body = { to: number(), body: "daily digest" };
    const first = await okJson(await send(key, body, keyed("digest")), 202);

    await setMeterClock(tenantId, NOON + IDEMPOTENCY_TTL_MS - 1000);
    expect((await okJson(await send(key, body, keyed("digest")), 202)).id).toBe(first.id);

    await setMeterClock(tenantId, NOON + IDEMPOTENCY_TTL_MS + 1000);
    const fresh = await okJson(await send(key, { ...body, body: "another digest" }, keyed("digest")), 202);
    expect(fresh.id).not.toBe(first.id);
    expect(await messageCount(key)).toBe(2);
  });

  it("does not record a refused send under its key, so a retry can succeed", async () => {
    const { tenantId, key } = await createTenant("live");
    await setPrice("US", 10_000);
    const body = { to: number(), body: "pay me" };
    await expectProblem(await send(key, body, keyed("topup-first")), 402, "insufficient_balance");
    await credit(tenantId, 10_000);
    const accepted = await send(key, body, keyed("topup-first"));
    expect(accepted.status).toBe(202);
    expect(accepted.headers.get("idempotent-replayed")).toBeNull();
  });

  it("rejects a key that is empty, too long or not printable ASCII", async () => {
    const { key } = await createTenant();
    for (const bad of ["", "k".repeat(256), "tab\tin key"]) {
      const problem = await expectProblem(await send(key, { to: number(), body: "x" }, keyed(bad)), 422, "validation_failed");
      expect(problem.errors).toEqual([{ path: "header.idempotency-key", message: "must be 1–255 printable ASCII characters" }]);
    }
    expect(await messageCount(key)).toBe(0);
  });

  it("works for a tenant exempt from metering too", async () => {
    const { tenantId, key } = await createTenant();
    await call(`/v1/admin/tenants/${tenantId}`, {
      method: "PATCH",
      headers: ADMIN,
      json: { metered: false },
    });
    const body = { to: number(), body: "exempt" };
    const first = await okJson(await send(key, body, keyed("ex")), 202);
    expect((await okJson(await send(key, body, keyed("ex")), 202)).id).toBe(first.id);
    await expectProblem(await send(key, { ...body, body: "changed" }, keyed("ex")), 422, "idempotency_mismatch");
  });
});

describe("Idempotency-Key across key modes", () => {
  it("keeps a tenant's test and live keys apart", async () => {
    const { tenantId, key: testKey } = await createTenant("test");
    await okJson(await call(`/v1/admin/tenants/${tenantId}`, { method: "PATCH", headers: ADMIN, json: { sandbox: false } }), 200);
    const live = await okJson(
      await call(`/v1/admin/tenants/${tenantId}/keys`, { method: "POST", headers: ADMIN, json: { mode: "live" } }),
      201,
    );
    await setPrice("US", 1);
    await credit(tenantId, 10);
    const body = { to: number(), body: "same key, two modes" };
    const fromTest = await okJson(await send(testKey, body, keyed("mode-key")), 202);
    const fromLive = await okJson(await send(live.key, body, keyed("mode-key")), 202);
    expect(fromLive.id).not.toBe(fromTest.id);
    expect(fromLive.price).toBe(1);
  });
});
