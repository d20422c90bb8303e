import { createExecutionContext, createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { http, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { PURGE_CHUNK, purgeExpired } from "../../src/cron/retention";
import { createDb } from "../../src/db/client";
import { observeD1 } from "../../src/db/probe";
import { ADMIN, call, createTenant, expectProblem, okJson, sendMessage } from "../helpers/api";
import { mockNetwork } from "../helpers/network";
import { postSigned } from "../helpers/receipts";
import { control, d1Of, dbOf, insertQueuedMessage, number, shardOf, waitForStatus } from "../helpers/seed";

const DAY = 86_400_000;
const network = mockNetwork();
/** The cron at a time of the test's choosing (a run uses the later of that and the real clock). */
const runCron = (at: number) => worker.scheduled(createScheduledController({ cron: "* * * * *", scheduledTime: at }), env, createExecutionContext());

/** Rows a tenant has left on its shard, by table. */
async function leftOf(tenantId: string, messageIds: string[]) {
  const d1 = await d1Of(tenantId);
  const ids = JSON.stringify(messageIds);
  const count = async (sql: string, ...binds: unknown[]) => (await d1.prepare(sql).bind(...binds).first<{ n: number }>())!.n;
  return {
    messages: await count(`SELECT COUNT(*) AS n FROM messages WHERE id IN (SELECT value FROM json_each(?))`, ids),
    message_events: await count(`SELECT COUNT(*) AS n FROM message_events WHERE message_id IN (SELECT value FROM json_each(?))`, ids),
    message_parts: await count(`SELECT COUNT(*) AS n FROM message_parts WHERE message_id IN (SELECT value FROM json_each(?))`, ids),
    carrier_receipts: await count(`SELECT COUNT(*) AS n FROM carrier_receipts WHERE message_id IN (SELECT value FROM json_each(?))`, ids),
    events: await count(`SELECT COUNT(*) AS n FROM events WHERE tenant_id = ?`, tenantId),
    webhook_deliveries: await count(`SELECT COUNT(*) AS n FROM webhook_deliveries WHERE tenant_id = ?`, tenantId),
    webhook_attempts: await count(`SELECT COUNT(*) AS n FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE tenant_id = ?)`, tenantId),
    inbound_messages: await count(`SELECT COUNT(*) AS n FROM inbound_messages WHERE tenant_id = ?`, tenantId),
  };
}

/** A tenant whose messages were delivered (with receipts, events, and webhook deliveries and tries) and who got a reply. */
async function busyTenant(retentionDays?: number) {
  const tenant = await createTenant();
  if (retentionDays) await okJson(await call(`/v1/admin/tenants/${tenant.tenantId}`, { method: "PATCH", headers: ADMIN, json: { retention_days: retentionDays } }), 200);
  const url = `https://hooks.example/${crypto.randomUUID()}`;
  network.use(http.post(url, () => new HttpResponse(null, { status: 204 })));
  await okJson(await call("/v1/webhooks", { method: "POST", key: tenant.key, json: { url, events: ["message.status", "message.inbound"] } }), 201);
  const ids: string[] = [];
  for (let i = 0; i < 3; i += 1) {
    const sent = await sendMessage(tenant.key, { to: number("5555"), body: `kept for a while ${i}` });
    await waitForStatus(tenant.key, sent.id, "delivered");
    ids.push(sent.id);
  }
  const own = number("0100");
  await okJson(await call(`/v1/admin/tenants/${tenant.tenantId}/numbers`, { method: "POST", headers: ADMIN, json: { number: own } }), 201);
  await okJson(await postSigned("/webhooks/simulator/inbound", { from: number(), to: own, text: "thanks", received_at: new Date().toISOString() }), 200);
  // Every status event has reached the endpoint, so each delivery has its try.
  const d1 = await d1Of(tenant.tenantId);
  await expect
    .poll(async () => (await d1.prepare(`SELECT COUNT(*) AS n FROM webhook_deliveries WHERE tenant_id = ? AND status = 'succeeded'`).bind(tenant.tenantId).first<{ n: number }>())!.n, { timeout: 15_000 })
    .toBe(3 * 2 + 1);
  return { ...tenant, ids };
}

const statsOf = async (key: string) => (await okJson(await call("/v1/stats?granularity=day", { key }), 200)).totals;

describe("retention", () => {
  it("deletes final messages past the tenant's retention with everything hung on them; the stats keep their counts", async () => {
    const short = await busyTenant(1);
    const long = await busyTenant();
    // The two tenants are on different shards or the same one; either way each keeps its own period.
    expect(["SHARD_1", "SHARD_2"]).toContain(await shardOf(short.tenantId));
    const full = await leftOf(short.tenantId, short.ids);
    expect(full).toMatchObject({ messages: 3, message_parts: 3, carrier_receipts: 3, events: 7, webhook_deliveries: 7, webhook_attempts: 7, inbound_messages: 1 });
    // A message still waiting (scheduled for much later) is not final: it stays, however old.
    const waiting = await insertQueuedMessage(short.tenantId, number(), Date.now() - 5 * DAY, "simulator", { status: "scheduled", sendAt: Date.now() + 30 * DAY });
    const stats = await statsOf(short.key);
    expect(stats.submitted).toBe(4);

    // Half a day on, nothing is past a day yet.
    await runCron(Date.now() + DAY / 2);
    expect(await leftOf(short.tenantId, short.ids)).toEqual(full);
    // Two days on: the short tenant's are gone; the other tenant (90 days) keeps everything.
    await runCron(Date.now() + 2 * DAY);
    expect(await leftOf(short.tenantId, short.ids)).toEqual({
      messages: 0, message_events: 0, message_parts: 0, carrier_receipts: 0, events: 0, webhook_deliveries: 0, webhook_attempts: 0, inbound_messages: 0,
    });
    for (const id of short.ids) await expectProblem(await call(`/v1/messages/${id}`, { key: short.key }), 404, "not_found");
    expect((await okJson(await call(`/v1/messages/${waiting.id}`, { key: short.key }), 200)).status).toBe("scheduled");
    expect(await leftOf(long.tenantId, long.ids)).toMatchObject({ messages: 3, events: 7, inbound_messages: 1 });
    // The rollup holds no numbers or bodies, and still counts what was sent.
    expect(await statsOf(short.key)).toEqual(stats);
  });

  it("drains a backlog in bounded chunks, a few per run", async () => {
    const { tenantId } = await createTenant();
    await okJson(await call(`/v1/admin/tenants/${tenantId}`, { method: "PATCH", headers: ADMIN, json: { retention_days: 1 } }), 200);
    const old = Date.now() - 3 * DAY;
    const d1 = await d1Of(tenantId);
    const total = 2 * PURGE_CHUNK + 37;
    // Delivered messages three days old, written as batch expansion writes them.
    await d1
      .prepare(
        `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
         INSERT INTO messages (id, tenant_id, mode, "to", country, type, body, status, encoding, segments, carrier, attempts, version, created_at, updated_at)
         SELECT printf('msg_00000000%018d', i), ?, 'test', '+14155550123', 'US', 'notification', 'x', 'delivered', 'GSM-7', 1, 'simulator', 1, 4, ?, ? FROM n`,
      )
      .bind(total, tenantId, old, old)
      .run();
    const shard = await shardOf(tenantId);
    const remaining = async () => (await d1.prepare(`SELECT COUNT(*) AS n FROM messages WHERE tenant_id = ?`).bind(tenantId).first<{ n: number }>())!.n;
    // One chunk a run here: each run deletes at most PURGE_CHUNK messages.
    // Handles made while the D1 observer is on see each round trip.
    const calls: number[] = [];
    const stop = observeD1((call) => void calls.push(call.sql.length));
    try {
      const [db, watchedControl] = [await dbOf(tenantId), createDb(env.DB)];
      expect(await purgeExpired(db, watchedControl, shard, Date.now(), 1)).toBe(PURGE_CHUNK);
    } finally {
      stop();
    }
    // 500 messages with everything hung on them: the tenants' cutoffs (control), one read, one batch of deletes.
    expect(calls.length).toBe(3);
    expect(await remaining()).toBe(total - PURGE_CHUNK);
    const db = await dbOf(tenantId);
    expect(await purgeExpired(db, control, shard, Date.now(), 1)).toBe(PURGE_CHUNK);
    expect(await purgeExpired(db, control, shard, Date.now(), 1)).toBe(37);
    expect(await purgeExpired(db, control, shard, Date.now(), 1)).toBe(0);
    expect(await remaining()).toBe(0);
  });
});
