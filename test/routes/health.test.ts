import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { app } from "../../src/app";
import { CarrierBreakers } from "../../src/services/carrier-health";
import { ADMIN, call, createTenant, expectProblem, okJson } from "../helpers/api";
import { control, insertQueuedMessage, number } from "../helpers/seed";

describe("GET /health", () => {
  it("reports the database and the age of the send backlog", async () => {
    const idle = await okJson(await call("/health"), 200);
    expect(idle).toMatchObject({ status: "ok", checks: { database: { status: "ok" }, send_queue: { oldest_queued_age_s: null } } });

    const { tenantId } = await createTenant();
    await insertQueuedMessage(tenantId, number(), Date.now() - 120_000);
    const backlogged = await okJson(await call("/health"), 200);
    expect(backlogged.checks.send_queue.oldest_queued_age_s).toBeGreaterThanOrEqual(120);
    expect(backlogged.checks.send_queue.oldest_queued_age_s).toBeLessThan(130);
  });

  it("answers 503 as a problem document when the database does not answer", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    // Fault injection at the binding: a D1 whose every statement fails, as when D1 is unreachable.
    const unreachable = { ...env.DB, prepare: () => { throw new Error("D1_ERROR: Network connection lost."); } } as unknown as D1Database;
    const response = await app.fetch(new Request("http://gateway.test/health"), { ...env, DB: unreachable }, createExecutionContext());
    const problem = await expectProblem(response, 503, "dependency_unavailable");
    expect(problem).toMatchObject({ checks: { database: { status: "failed" } } });
    // The cause is logged, not answered.
    expect(JSON.stringify(problem)).not.toContain("D1_ERROR");
  });
});

describe("GET /v1/admin/health", () => {
  it("shows carrier circuits, dead letters and the oldest message in each in-flight status", async () => {
    const { tenantId } = await createTenant();
    const now = Date.now();
    const breakers = await CarrierBreakers.load(control);
    for (let i = 0; i < 5; i++) breakers.failed("twilio", now);
    await breakers.flush(now);
    const queued = await insertQueuedMessage(tenantId, number(), now - 600_000);
    const sending = await insertQueuedMessage(tenantId, number(), now - 300_000, "twilio", { status: "sending" });
    const sent = await insertQueuedMessage(tenantId, number(), now - 7_200_000, "twilio", { status: "sent", submittedAt: now - 7_000_000 });
    const dead = { status: "failed" as const, errorCode: "dead_lettered" };
    await insertQueuedMessage(tenantId, number(), now - 1000, "simulator", dead);
    await insertQueuedMessage(tenantId, number(), now - 3 * 86_400_000, "simulator", dead);
    await insertQueuedMessage(tenantId, number(), now - 8 * 86_400_000, "simulator", dead);
    await insertQueuedMessage(tenantId, number(), now - 1000, "simulator", { status: "failed", errorCode: "invalid_number" });

    const health = await okJson(await call("/v1/admin/health", { headers: ADMIN }), 200);
    expect(health.carriers.find((c: any) => c.carrier === "twilio")).toMatchObject({ circuit: "open", consecutive_failures: 5 });
    expect(health.carriers.find((c: any) => c.carrier === "vonage")).toMatchObject({ circuit: "closed" });
    expect(health.dead_lettered).toEqual({ last_24h: 1, last_7d: 2 });
    expect(health.oldest.queued).toMatchObject({ id: queued.id, tenant_id: tenantId, status: "queued" });
    expect(health.oldest.queued.age_s).toBeGreaterThanOrEqual(600);
    expect(health.oldest.sending).toMatchObject({ id: sending.id, status: "sending" });
    expect(health.oldest.sent).toMatchObject({ id: sent.id, since: new Date(now - 7_000_000).toISOString() });
  });

  it("says which carriers cannot be used, and why, so a live carrier without credentials is not reported healthy", async () => {
    const request = new Request("http://gateway.test/v1/admin/health", { headers: ADMIN });
    const response = await app.fetch(request, { ...env, LIVE_CARRIER: "twilio", TWILIO_AUTH_TOKEN: "", TWILIO_MESSAGING_SERVICE_SID: "" }, createExecutionContext());
    const health = await okJson(response, 200);
    expect(health.live_carrier).toBe("twilio");
    const twilio = health.carriers.find((c: { carrier: string }) => c.carrier === "twilio");
    expect(twilio.configuration).toEqual({
      usable: false,
      problems: [expect.stringMatching(/twilio has no usable credentials \(TWILIO_AUTH_TOKEN not set\)/)],
      warnings: [expect.stringMatching(/TWILIO_MESSAGING_SERVICE_SID/)],
    });
    expect(health.carriers.find((c: { carrier: string }) => c.carrier === "simulator").configuration).toEqual({ usable: true, problems: [], warnings: [] });
  });

  it("is the operator's only", async () => {
    const { key } = await createTenant();
    await expectProblem(await call("/v1/admin/health", { key }), 401, "unauthorized");
  });
});

describe("/v1/admin/d1-calls", () => {
  it("counts this isolate's D1 round trips from when counting starts, for the operator only", async () => {
    const { key, tenantId } = await createTenant();
    await expectProblem(await call("/v1/admin/d1-calls", { method: "POST", key }), 401, "unauthorized");
    expect(await okJson(await call("/v1/admin/d1-calls", { method: "POST", headers: ADMIN }), 200)).toEqual({ counting: true, count: 0, statements: 0 });
    // A single D1 round trip the gateway makes on its own: a message inserted for the tenant, read back once.
    const row = await insertQueuedMessage(tenantId, number());
    await okJson(await call(`/v1/messages/${row.id}`, { key }), 200);
    const { counting, count, statements } = await okJson(await call("/v1/admin/d1-calls", { headers: ADMIN }), 200);
    expect(counting).toBe(true);
    expect(count).toBeGreaterThanOrEqual(1);
    expect(count).toBeLessThanOrEqual(3);
    expect(statements).toBeGreaterThanOrEqual(count);
  });
});
