import { env } from "cloudflare:workers";
import { createExecutionContext, createScheduledController } from "cloudflare:test";
import { http, HttpResponse } from "msw";
import { describe, expect, it, vi } from "vitest";
import worker from "../../src/index";
import { evaluateAlerts } from "../../src/services/alerts";
import { EventOutbox } from "../../src/services/events";
import { call, createTenant, expectProblem, okJson } from "../helpers/api";
import { credit } from "../helpers/meter";
import { mockNetwork } from "../helpers/network";
import { insertQueuedMessage, number, shards } from "../helpers/seed";

const network = mockNetwork();
const HOUR = 3_600_000;

const createRule = async (key: string, json: Record<string, unknown>) => okJson(await call("/v1/alerts", { method: "POST", key, json }), 201);
const events = async (key: string) => (await okJson(await call("/v1/events?limit=100", { key }), 200)).data.filter((e: any) => e.type.startsWith("alert."));
// The cron evaluates every shard's rules; so does this.
const evaluate = (now = Date.now()) => Promise.all(shards().map((db) => evaluateAlerts(db, env, new EventOutbox(), now)));
const runCron = (at = Date.now()) => worker.scheduled(createScheduledController({ cron: "* * * * *", scheduledTime: at }), env, createExecutionContext());

/** `count` messages to `country`, accepted `at`, in `status` (written as the API writes them; the rollup follows). */
async function messages(tenantId: string, count: number, status: "failed" | "delivered" | "undelivered", at: number, country = "US") {
  for (let i = 0; i < count; i++) await insertQueuedMessage(tenantId, number(), at, "simulator", { status, country });
}

describe("alert rules", () => {
  it("fires once when failures pass the threshold, resolves once when the window moves on, and says so through the webhooks", async () => {
    const { tenantId, key } = await createTenant();
    const got: any[] = [];
    network.use(
      http.post("https://hooks.example.com/alerts", async ({ request }) => {
        got.push(await request.json());
        return new HttpResponse(null, { status: 204 });
      }),
    );
    await okJson(await call("/v1/webhooks", { method: "POST", key, json: { url: "https://hooks.example.com/alerts", events: ["alert.firing", "alert.resolved"] } }), 201);
    const rule = await createRule(key, { name: "failures", kind: "failed_count_above", threshold: 2, window_hours: 1 });
    expect(rule).toMatchObject({ state: "ok", window_hours: 1, mode: "test", value: null });

    const now = Date.now();
    await messages(tenantId, 2, "failed", now);
    await evaluate(now);
    expect(await okJson(await call(`/v1/alerts/${rule.id}`, { key }), 200)).toMatchObject({ state: "ok", value: 2 });

    await messages(tenantId, 1, "failed", now);
    // Two overlapping evaluations, then the cron's own, then another minute: one change, one event.
    await Promise.all([evaluate(now), evaluate(now)]);
    await runCron(now + 60_000);
    await evaluate(now + 120_000);
    const firing = await okJson(await call(`/v1/alerts/${rule.id}`, { key }), 200);
    expect(firing).toMatchObject({ state: "firing", value: 3 });
    expect(await events(key)).toHaveLength(1);
    expect((await events(key))[0]).toMatchObject({ type: "alert.firing", data: { alert_id: rule.id, name: "failures", state: "firing", value: 3, threshold: 2 } });

    // Two hours on, the failures are out of the window.
    await evaluate(now + 2 * HOUR + 60_000);
    await evaluate(now + 2 * HOUR + 120_000);
    const all = await events(key);
    expect(all.map((e: any) => e.type)).toEqual(["alert.firing", "alert.resolved"]);
    expect(all[1].data).toMatchObject({ alert_id: rule.id, state: "ok", value: 0 });
    expect(await okJson(await call(`/v1/alerts/${rule.id}`, { key }), 200)).toMatchObject({ state: "ok", value: 0 });

    await runCron(now + 2 * HOUR + 180_000);
    await vi.waitFor(() => expect(got.map((e) => e.type).sort()).toEqual(["alert.firing", "alert.resolved"]), { timeout: 20_000, interval: 100 });
  });

  it("judges a delivery rate per country, and only with enough finished messages", async () => {
    const { tenantId, key } = await createTenant();
    const gb = await createRule(key, { kind: "delivery_rate_below", threshold: 0.9, country: "GB", min_messages: 10 });
    const overall = await createRule(key, { kind: "delivery_rate_below", threshold: 0.5, min_messages: 10 });
    const now = Date.now();
    await messages(tenantId, 4, "delivered", now, "GB");
    await messages(tenantId, 4, "undelivered", now, "GB");
    await evaluate(now);
    // 8 finished: too few to judge.
    expect(await okJson(await call(`/v1/alerts/${gb.id}`, { key }), 200)).toMatchObject({ state: "ok", value: 0.5 });

    await messages(tenantId, 2, "undelivered", now, "GB");
    await messages(tenantId, 20, "delivered", now, "US");
    await evaluate(now);
    expect(await okJson(await call(`/v1/alerts/${gb.id}`, { key }), 200)).toMatchObject({ state: "firing", value: 0.4 });
    expect(await okJson(await call(`/v1/alerts/${overall.id}`, { key }), 200)).toMatchObject({ state: "ok", value: 24 / 30 });
    expect((await events(key)).map((e: any) => [e.type, e.data.alert_id])).toEqual([["alert.firing", gb.id]]);
  });

  it("fires when the balance drops below the threshold and resolves when it is topped up", async () => {
    const { tenantId, key } = await createTenant();
    await credit(tenantId, 5_000_000);
    const rule = await createRule(key, { kind: "balance_below", threshold: 10_000_000 });
    await evaluate();
    expect(await okJson(await call(`/v1/alerts/${rule.id}`, { key }), 200)).toMatchObject({ state: "firing", value: 5_000_000 });
    await credit(tenantId, 10_000_000);
    await evaluate();
    await evaluate();
    expect(await okJson(await call(`/v1/alerts/${rule.id}`, { key }), 200)).toMatchObject({ state: "ok", value: 15_000_000 });
    expect((await events(key)).map((e: any) => e.type)).toEqual(["alert.firing", "alert.resolved"]);
  });

  it("refuses rules that make no sense, with located errors", async () => {
    const { key } = await createTenant();
    const cases: [Record<string, unknown>, string][] = [
      [{ kind: "delivery_rate_below", threshold: 95 }, "body.threshold"],
      [{ kind: "failed_count_above", threshold: 2.5 }, "body.threshold"],
      [{ kind: "failed_count_above", threshold: 5, window_hours: 500 }, "body.window_hours"],
      [{ kind: "balance_below", threshold: 100, country: "US" }, "body.country"],
      [{ kind: "failed_count_above", threshold: 5, min_messages: 3 }, "body.min_messages"],
      [{ kind: "delivery_rate_below", threshold: 0.9, country: "usa" }, "body.country"],
      [{ kind: "latency_above", threshold: 1 }, "body.kind"],
    ];
    for (const [json, path] of cases) {
      const problem = await expectProblem(await call("/v1/alerts", { method: "POST", key, json }), 422, "validation_failed");
      expect(problem.errors!.map((e) => e.path), JSON.stringify(json)).toContain(path);
    }
    expect((await okJson(await call("/v1/alerts", { key }), 200)).data).toEqual([]);
  });

  it("lists and deletes a tenant's own rules; another tenant's is a 404", async () => {
    const { key } = await createTenant();
    const other = await createTenant();
    const rule = await createRule(key, { kind: "failed_count_above", threshold: 10 });
    expect((await okJson(await call("/v1/alerts", { key }), 200)).data.map((r: any) => r.id)).toEqual([rule.id]);
    expect((await okJson(await call("/v1/alerts", { key: other.key }), 200)).data).toEqual([]);
    await expectProblem(await call(`/v1/alerts/${rule.id}`, { key: other.key }), 404, "not_found");
    await expectProblem(await call(`/v1/alerts/${rule.id}`, { method: "DELETE", key: other.key }), 404, "not_found");
    expect((await call(`/v1/alerts/${rule.id}`, { method: "DELETE", key })).status).toBe(204);
    await expectProblem(await call(`/v1/alerts/${rule.id}`, { key }), 404, "not_found");
  });
});
