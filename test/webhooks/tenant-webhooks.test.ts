import { createHmac } from "node:crypto";
import { env } from "cloudflare:workers";
import { createExecutionContext, createScheduledController } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { http, HttpResponse } from "msw";
import { describe, expect, it, vi } from "vitest";
import { webhookAttempts, webhookDeliveries, webhookEndpoints } from "../../src/db/schema";
import { DELIVERY_SCHEDULE_SECONDS } from "../../src/domain/webhooks";
import worker from "../../src/index";
import { transition } from "../../src/services/transitions";
import { attemptDelivery } from "../../src/services/webhooks";
import { ADMIN, call, createTenant, expectProblem, okJson, sendMessage } from "../helpers/api";
import { createBatch, waitForBatch } from "../helpers/batches";
import { fundedLiveTenant } from "../helpers/meter";
import { mockNetwork } from "../helpers/network";
import { postSigned } from "../helpers/receipts";
import { dbOf, shards, number, waitForStatus } from "../helpers/seed";

const network = mockNetwork();

interface Received {
  headers: Record<string, string>;
  body: string;
  json: { id: string; type: string; created_at: string; data: Record<string, any> };
}

/** A receiver at `url` that records what it gets and answers `status` (a function of the try, from 1). */
function receiver(url: string, status: (n: number) => number = () => 204) {
  const got: Received[] = [];
  network.use(
    http.post(url, async ({ request }) => {
      const body = await request.text();
      got.push({ headers: Object.fromEntries(request.headers), body, json: JSON.parse(body) });
      return new HttpResponse(null, { status: status(got.length) });
    }),
  );
  return got;
}

/** Standard Webhooks verification, written independently of the gateway's code (Node's crypto). */
function verify(secret: string, received: Received): boolean {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const expected = createHmac("sha256", key)
    .update(`${received.headers["webhook-id"]}.${received.headers["webhook-timestamp"]}.${received.body}`)
    .digest("base64");
  return received.headers["webhook-signature"]!.split(" ").some((s) => s === `v1,${expected}`);
}

async function addEndpoint(key: string, url: string, events = ["message.status", "message.inbound", "batch.completed"]) {
  return okJson(await call("/v1/webhooks", { method: "POST", key, json: { url, events } }), 201);
}

/** The endpoint's one delivery, once its first try (made through the real queue) is recorded. */
async function afterFirstTry(endpointId: string) {
  return vi.waitFor(
    async () => {
      const rows = await Promise.all(shards().map((db) => db.select().from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, endpointId))));
      const [row] = rows.flat();
      expect(row?.attempts).toBe(1);
      return row!;
    },
    { timeout: 20_000, interval: 100 },
  );
}

const runCron = (at = Date.now()) => worker.scheduled(createScheduledController({ cron: "* * * * *", scheduledTime: at }), env, createExecutionContext());
const waitFor = <T>(fn: () => T | Promise<T>) => vi.waitFor(fn, { timeout: 20_000, interval: 100 });

describe("webhook endpoints", () => {
  it("shows the secret once, lists endpoints without it, and hides another tenant's", async () => {
    const { key } = await createTenant();
    const created = await addEndpoint(key, "https://hooks.example.com/a", ["message.status"]);
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    const fetched = await okJson(await call(`/v1/webhooks/${created.id}`, { key }), 200);
    expect(fetched).toEqual({ id: created.id, url: created.url, events: ["message.status"], previous_secret_expires_at: null, created_at: created.created_at });
    expect((await okJson(await call("/v1/webhooks", { key }), 200)).data).toEqual([fetched]);

    const other = await createTenant();
    await expectProblem(await call(`/v1/webhooks/${created.id}`, { key: other.key }), 404, "not_found");
    await expectProblem(await call(`/v1/webhooks/${created.id}`, { method: "DELETE", key: other.key }), 404, "not_found");
    expect((await call(`/v1/webhooks/${created.id}`, { method: "DELETE", key })).status).toBe(204);
    await expectProblem(await call(`/v1/webhooks/${created.id}`, { key }), 404, "not_found");
  });

  it.each(["http://hooks.example.com/", "https://127.0.0.1/", "https://10.0.0.8/", "https://169.254.169.254/", "https://[::1]/", "https://localhost/"])(
    "refuses %s with 422 and stores nothing",
    async (url) => {
      const { key } = await createTenant();
      const problem = await expectProblem(await call("/v1/webhooks", { method: "POST", key, json: { url, events: ["message.status"] } }), 422, "validation_failed");
      expect(problem.errors?.[0]?.path).toBe("body.url");
      expect((await okJson(await call("/v1/webhooks", { key }), 200)).data).toEqual([]);
    },
  );

  it("refuses a private callback_url on a message with 422, and sends nothing", async () => {
    const { key } = await createTenant();
    const to = number();
    const problem = await expectProblem(
      await call("/v1/messages", { method: "POST", key, json: { to, body: "hi", callback_url: "https://192.168.0.10/cb" } }),
      422,
      "validation_failed",
    );
    expect(problem.errors).toEqual([{ path: "body.callback_url", message: "must not point at a private, loopback or internal address" }]);
    expect((await okJson(await call(`/v1/messages?to=${encodeURIComponent(to)}`, { key }), 200)).data).toEqual([]);
  });
});

describe("deliveries", () => {
  it("posts each status change signed per Standard Webhooks, the event id as webhook-id", async () => {
    const { key } = await createTenant();
    const endpoint = await addEndpoint(key, "https://hooks.example.com/signed", ["message.status"]);
    const got = receiver("https://hooks.example.com/signed");
    const message = await sendMessage(key, { to: number(), body: "hello", reference: "order-7" });
    await waitForStatus(key, message.id, "delivered");
    await waitFor(() => expect(got.map((r) => r.json.data.status)).toEqual(expect.arrayContaining(["sent", "delivered"])));

    const delivered = got.find((r) => r.json.data.status === "delivered")!;
    expect(verify(endpoint.secret, delivered)).toBe(true);
    expect(verify("whsec_" + Buffer.from("another secret of 24 bytes").toString("base64"), delivered)).toBe(false);
    expect(delivered.headers["webhook-id"]).toBe(delivered.json.id);
    expect(Math.abs(Number(delivered.headers["webhook-timestamp"]) - Date.now() / 1000)).toBeLessThan(60);
    expect(delivered.json).toMatchObject({
      type: "message.status",
      data: { message_id: message.id, status: "delivered", reference: "order-7", carrier: "simulator", error: null, parts: { total: 1, delivered: 1 } },
    });
    expect(got.map((r) => r.json.id)).toHaveLength(new Set(got.map((r) => r.json.id)).size);
  });

  it("retries a failing endpoint on the schedule, then records the delivery failed; the list shows every try", async () => {
    const { key, tenantId } = await createTenant();
    const db = await dbOf(tenantId);
    const endpoint = await addEndpoint(key, "https://hooks.example.com/down", ["message.status"]);
    const got = receiver("https://hooks.example.com/down", () => 503);
    const message = await sendMessage(key, { to: number(), body: "hello" });
    await waitForStatus(key, message.id, "delivered");
    const [first] = await waitFor(async () => {
      const rows = await db.select().from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, endpoint.id));
      expect(rows.length).toBe(2);
      expect(rows.every((r) => r.attempts === 1)).toBe(true);
      return rows.sort((a, b) => a.createdAt - b.createdAt);
    });

    // Walk one delivery through its schedule, each try when it falls due.
    let at = first!.updatedAt;
    const gaps: number[] = [];
    for (;;) {
      const row = (await db.query.webhookDeliveries.findFirst({ where: eq(webhookDeliveries.id, first!.id) }))!;
      if (row.nextAttemptAt === null) break;
      gaps.push((row.nextAttemptAt - at) / 1000);
      at = row.nextAttemptAt;
      expect(await attemptDelivery(env, db, row.id, at - 1)).toEqual({ kind: "skipped" });
      await attemptDelivery(env, db, row.id, at);
    }
    expect(gaps).toEqual(DELIVERY_SCHEDULE_SECONDS.slice(1));
    const ids = new Set(got.filter((r) => r.json.id === got[0]!.json.id).map((r) => r.headers["webhook-id"]));
    expect(ids.size).toBe(1);

    const page = await okJson(await call(`/v1/webhooks/${endpoint.id}/deliveries?status=failed`, { key }), 200);
    expect(page.data).toHaveLength(1);
    expect(page.data[0].attempts).toHaveLength(8);
    expect(page.data[0].attempts.every((a: { status_code: number; latency_ms: number }) => a.status_code === 503 && a.latency_ms >= 0)).toBe(true);
    expect(page.data[0]).toMatchObject({ status: "failed", next_attempt_at: null });
  });

  it("replays a failed delivery on request, with the same event id, and one try at a time", async () => {
    const { key } = await createTenant();
    const endpoint = await addEndpoint(key, "https://hooks.example.com/replay", ["message.status"]);
    const got = receiver("https://hooks.example.com/replay", (n) => (n === 1 ? 500 : 200));
    const message = await sendMessage(key, { to: number("0002"), body: "rejected" });
    await waitForStatus(key, message.id, "failed");
    const delivery = await waitFor(async () => {
      const page = await okJson(await call(`/v1/webhooks/${endpoint.id}/deliveries`, { key }), 200);
      expect(page.data[0]?.attempts).toHaveLength(1);
      return page.data[0];
    });
    // Two replays at once: the claim lets one try through.
    const replays = await Promise.all([1, 2].map(() => call(`/v1/webhooks/${endpoint.id}/deliveries/${delivery.id}/retry`, { method: "POST", key })));
    expect(replays.map((r) => r.status)).toEqual([202, 202]);
    await waitFor(async () => {
      const page = await okJson(await call(`/v1/webhooks/${endpoint.id}/deliveries`, { key }), 200);
      expect(page.data[0]).toMatchObject({ status: "succeeded" });
    });
    expect(got).toHaveLength(2);
    expect(got[1]!.headers["webhook-id"]).toBe(got[0]!.headers["webhook-id"]);
    expect(got[1]!.body).toBe(got[0]!.body);
    await expectProblem(await call(`/v1/webhooks/${endpoint.id}/deliveries/dlv_nope/retry`, { method: "POST", key }), 404, "not_found");
  });

  it("signs with both secrets for a day after a rotation", async () => {
    const { key } = await createTenant();
    const endpoint = await addEndpoint(key, "https://hooks.example.com/rotate", ["message.status"]);
    const rotated = await okJson(await call(`/v1/webhooks/${endpoint.id}/rotate-secret`, { method: "POST", key }), 200);
    expect(rotated.secret).not.toBe(endpoint.secret);
    expect(Date.parse(rotated.previous_secret_expires_at) - Date.now()).toBeGreaterThan(23 * 3600 * 1000);
    const got = receiver("https://hooks.example.com/rotate");
    const message = await sendMessage(key, { to: number(), body: "hello" });
    await waitForStatus(key, message.id, "delivered");
    await waitFor(() => expect(got.length).toBeGreaterThan(0));
    expect(got[0]!.headers["webhook-signature"]!.split(" ")).toHaveLength(2);
    expect(verify(rotated.secret, got[0]!)).toBe(true);
    expect(verify(endpoint.secret, got[0]!)).toBe(true);
  });

  it("posts a message's status to its callback_url, signed with the tenant's callback secret", async () => {
    const { key } = await createTenant();
    const got = receiver("https://cb.example.com/status");
    const message = await sendMessage(key, { to: number(), body: "hello", callback_url: "https://cb.example.com/status" });
    await waitForStatus(key, message.id, "delivered");
    await waitFor(() => expect(got.map((r) => r.json.data.status)).toContain("delivered"));
    const { secret } = await okJson(await call("/v1/webhooks/callback-secret", { key }), 200);
    expect(got.every((r) => verify(secret, r) && r.json.data.message_id === message.id)).toBe(true);
  });

  it("keeps one callback secret per key mode, and a rotated one signs beside the new for a day", async () => {
    const live = await fundedLiveTenant(1_000_000);
    const test = await okJson(await call(`/v1/admin/tenants/${live.tenantId}/keys`, { method: "POST", headers: ADMIN, json: { mode: "test" } }), 201);
    const liveSecret = (await okJson(await call("/v1/webhooks/callback-secret", { key: live.key }), 200)).secret;
    const testSecret = (await okJson(await call("/v1/webhooks/callback-secret", { key: test.key }), 200)).secret;
    expect(testSecret).not.toBe(liveSecret);

    // A test message's callback is signed with the test secret only: a leaked test key proves nothing to a live receiver.
    const testGot = receiver("https://cb.example.com/test-mode");
    const testMessage = await sendMessage(test.key, { to: number(), body: "hello", callback_url: "https://cb.example.com/test-mode" });
    await waitForStatus(test.key, testMessage.id, "delivered");
    await waitFor(() => expect(testGot.length).toBeGreaterThan(0));
    expect(testGot.every((r) => verify(testSecret, r) && !verify(liveSecret, r))).toBe(true);

    const rotated = await okJson(await call("/v1/webhooks/callback-secret/rotate", { method: "POST", key: live.key }), 200);
    expect(rotated.secret).not.toBe(liveSecret);
    expect(Date.parse(rotated.previous_secret_expires_at) - Date.now()).toBeGreaterThan(23 * 3_600_000);
    expect((await okJson(await call("/v1/webhooks/callback-secret", { key: live.key }), 200)).secret).toBe(rotated.secret);
    const liveGot = receiver("https://cb.example.com/live-mode");
    const liveMessage = await sendMessage(live.key, { to: number(), body: "hello", callback_url: "https://cb.example.com/live-mode" });
    await waitForStatus(live.key, liveMessage.id, "delivered");
    await waitFor(() => expect(liveGot.length).toBeGreaterThan(0));
    expect(liveGot[0]!.headers["webhook-signature"]!.split(" ")).toHaveLength(2);
    expect(verify(rotated.secret, liveGot[0]!) && verify(liveSecret, liveGot[0]!)).toBe(true);
    expect(verify(testSecret, liveGot[0]!)).toBe(false);
    // The test secret was not touched by the live rotation.
    expect((await okJson(await call("/v1/webhooks/callback-secret", { key: test.key }), 200)).secret).toBe(testSecret);
  });

  it("delivers inbound replies and completed batches to endpoints that asked for them", async () => {
    const { key, tenantId } = await createTenant();
    const own = number("0100");
    await okJson(await call(`/v1/admin/tenants/${tenantId}/numbers`, { method: "POST", headers: ADMIN, json: { number: own } }), 201);
    await addEndpoint(key, "https://hooks.example.com/all", ["message.inbound", "batch.completed"]);
    const got = receiver("https://hooks.example.com/all");

    const from = number();
    await okJson(await postSigned("/webhooks/simulator/inbound", { from, to: own, text: "STOP", received_at: new Date().toISOString() }), 200);
    await waitFor(() => expect(got.map((r) => r.json.type)).toContain("message.inbound"));
    expect(got.find((r) => r.json.type === "message.inbound")!.json.data).toMatchObject({ from, to: own, text: "STOP", action: "opt_out" });

    const batch = await createBatch(key, { type: "notification", body: "Shipped", recipients: [{ to: number() }, { to: number() }] });
    await waitForBatch(key, batch.id, (b) => b.status === "completed", { timeout: 30_000 });
    await runCron();
    await runCron(Date.now() + 31_000);
    await waitFor(() => expect(got.map((r) => r.json.type)).toContain("batch.completed"));
    expect(got.find((r) => r.json.type === "batch.completed")!.json.data).toMatchObject({ batch_id: batch.id, total: 2, accepted: 2, rejected: 0 });
    // Nothing of message.status: this endpoint did not ask for it.
    expect(got.map((r) => r.json.type)).not.toContain("message.status");
  });
});

describe("GET /v1/events", () => {
  it("lists the tenant's events in order with the webhook payloads, from any point", async () => {
    const { key } = await createTenant();
    const got = receiver("https://hooks.example.com/pull");
    await addEndpoint(key, "https://hooks.example.com/pull", ["message.status"]);
    const message = await sendMessage(key, { to: number(), body: "hello" });
    await waitForStatus(key, message.id, "delivered");

    const all = await okJson(await call("/v1/events?limit=100", { key }), 200);
    expect(all.data.map((e: { data: { status: string } }) => e.data.status)).toEqual(["sent", "delivered"]);
    expect(all.last).toBe(all.data[1].id);
    await waitFor(() => expect(got).toHaveLength(2));
    for (const event of all.data) expect(got.find((r) => r.json.id === event.id)!.json).toEqual(event);

    const rest = await okJson(await call(`/v1/events?after=${all.data[0].id}`, { key }), 200);
    expect(rest.data.map((e: { id: string }) => e.id)).toEqual([all.data[1].id]);
    expect(await okJson(await call(`/v1/events?after=${all.last}`, { key }), 200)).toEqual({ data: [], last: all.last });

    const other = await createTenant();
    expect((await okJson(await call("/v1/events", { key: other.key }), 200)).data).toEqual([]);
    await expectProblem(await call(`/v1/events?after=${all.data[0].id}`, { key: other.key }), 404, "not_found");
  });

  it("catches up an event whose webhook enqueue was lost: the cron fans it out", async () => {
    const { key, tenantId } = await createTenant();
    const db = await dbOf(tenantId);
    await addEndpoint(key, "https://hooks.example.com/late", ["message.status"]);
    const got = receiver("https://hooks.example.com/late");
    const scheduled = await okJson(
      await call("/v1/messages", { method: "POST", key, json: { to: number(), body: "x", send_at: new Date(Date.now() + 120_000).toISOString() } }),
      202,
    );
    // Canceled with no outbox to hand its event to the queue: as if the worker died right after the change.
    await transition(db, scheduled.id, "canceled", { onlyFrom: ["scheduled"] });
    const pending = await okJson(await call("/v1/events", { key }), 200);
    expect(pending.data.map((e: { data: { status: string } }) => e.data.status)).toEqual(["canceled"]);
    expect(got).toEqual([]);

    await runCron(Date.now() + 31_000);
    await waitFor(() => expect(got).toHaveLength(1));
    expect(got[0]!.json).toEqual(pending.data[0]);
  });
  it("restarts a try whose queued job was lost, once it is overdue", async () => {
    const { key, tenantId } = await createTenant();
    const db = await dbOf(tenantId);
    const endpoint = await addEndpoint(key, "https://hooks.example.com/lost", ["message.status"]);
    const got = receiver("https://hooks.example.com/lost", (n) => (n === 1 ? 500 : 204));
    const message = await sendMessage(key, { to: number("0002"), body: "rejected" });
    await waitForStatus(key, message.id, "failed");
    const delivery = await afterFirstTry(endpoint.id);
    // Its retry job (due in 5 s) never comes: two minutes later the cron finds it overdue.
    await db.update(webhookDeliveries).set({ nextAttemptAt: Date.now() - 120_000 }).where(eq(webhookDeliveries.id, delivery.id));
    await runCron();
    await waitFor(async () => {
      const row = await db.query.webhookDeliveries.findFirst({ where: eq(webhookDeliveries.id, delivery.id) });
      expect(row).toMatchObject({ status: "succeeded", attempts: 2 });
    });
    expect(got.map((r) => r.headers["webhook-id"])).toEqual([delivery.eventId, delivery.eventId]);
    // The cron's doing, not the retry job's: the second try came before that job was due.
    const tries = await db.select().from(webhookAttempts).where(eq(webhookAttempts.deliveryId, delivery.id));
    expect(tries.find((t) => t.attempt === 2)!.at).toBeLessThan(delivery.nextAttemptAt!);
  });
});

describe("delivery failures", () => {
  it("records a redirect and a network error as failed tries, and never follows the redirect", async () => {
    const { key, tenantId } = await createTenant();
    const db = await dbOf(tenantId);
    const endpoint = await addEndpoint(key, "https://hooks.example.com/moved", ["message.status"]);
    const internal = receiver("https://10.0.0.5/hook");
    let tries = 0;
    network.use(
      http.post("https://hooks.example.com/moved", () => {
        tries += 1;
        return tries === 1 ? new HttpResponse(null, { status: 302, headers: { location: "https://10.0.0.5/hook" } }) : HttpResponse.error();
      }),
    );
    const message = await sendMessage(key, { to: number("0002"), body: "rejected" });
    await waitForStatus(key, message.id, "failed");
    const delivery = await afterFirstTry(endpoint.id);
    await attemptDelivery(env, db, delivery.id, delivery.nextAttemptAt!);
    const page = await okJson(await call(`/v1/webhooks/${endpoint.id}/deliveries`, { key }), 200);
    expect(page.data[0].attempts.map((a: { status_code: number | null; error: string }) => [a.status_code, a.error.slice(0, 8)])).toEqual([
      [302, "HTTP 302"],
      [null, expect.any(String)],
    ]);
    expect(internal).toEqual([]);
  });

  it("refuses at delivery time a URL that is no longer allowed, and stops a deleted endpoint's deliveries", async () => {
    const { key, tenantId } = await createTenant();
    const db = await dbOf(tenantId);
    const endpoint = await addEndpoint(key, "https://hooks.example.com/gone", ["message.status"]);
    // As if stored under a laxer rule (development) and served where it is refused.
    await db.update(webhookEndpoints).set({ url: "http://127.0.0.1:9/hook" }).where(eq(webhookEndpoints.id, endpoint.id));
    const message = await sendMessage(key, { to: number("0002"), body: "rejected" });
    await waitForStatus(key, message.id, "failed");
    const page = await waitFor(async () => {
      const listed = await okJson(await call(`/v1/webhooks/${endpoint.id}/deliveries`, { key }), 200);
      expect(listed.data[0]?.attempts).toHaveLength(1);
      return listed;
    });
    expect(page.data[0].attempts[0]).toMatchObject({ status_code: null, error: "must be https" });

    expect((await call(`/v1/webhooks/${endpoint.id}`, { method: "DELETE", key })).status).toBe(204);
    const [row] = await db.select().from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, endpoint.id));
    expect(row).toMatchObject({ status: "failed", lastError: "endpoint deleted", tenantId });
    await expectProblem(await call(`/v1/webhooks/${endpoint.id}/deliveries`, { key }), 404, "not_found");
  });

  it("hides an endpoint's deliveries, rotation and replays from another tenant", async () => {
    const { key } = await createTenant();
    const endpoint = await addEndpoint(key, "https://hooks.example.com/mine", ["message.status"]);
    const other = await createTenant();
    await expectProblem(await call(`/v1/webhooks/${endpoint.id}/deliveries`, { key: other.key }), 404, "not_found");
    await expectProblem(await call(`/v1/webhooks/${endpoint.id}/rotate-secret`, { method: "POST", key: other.key }), 404, "not_found");
    await expectProblem(await call(`/v1/webhooks/${endpoint.id}/deliveries/dlv_x/retry`, { method: "POST", key: other.key }), 404, "not_found");
  });
});
