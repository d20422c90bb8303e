import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { messages, tenants, templates } from "../../src/db/schema";
import { createTemplate } from "../helpers/catalog";
import { ADMIN, call, createTenant, expectProblem, okJson, sendMessage } from "../helpers/api";
import { postReceipt, postSigned, receiptFor, receiptResult } from "../helpers/receipts";
import { control, dbOf, insertQueuedMessage, number, shardOf, waitForStatus } from "../helpers/seed";

/** Two tenants on different shards (placement alternates between the two). */
async function tenantsOnBothShards() {
  const first = await createTenant();
  let second = await createTenant();
  while ((await shardOf(second.tenantId)) === (await shardOf(first.tenantId))) second = await createTenant();
  return [first, second] as const;
}

describe("tenant placement", () => {
  it("puts each new tenant on the shard with the fewest tenants, and records it for good", async () => {
    const counts = async () => {
      const rows = await control.select({ shard: tenants.shard }).from(tenants);
      return { SHARD_1: rows.filter((r) => r.shard === "SHARD_1").length, SHARD_2: rows.filter((r) => r.shard === "SHARD_2").length };
    };
    const before = await counts();
    const fewest = before.SHARD_1 <= before.SHARD_2 ? "SHARD_1" : "SHARD_2";
    const { tenantId } = await createTenant();
    expect(await shardOf(tenantId)).toBe(fewest);
    const detail = await okJson(await call(`/v1/admin/tenants/${tenantId}`, { headers: ADMIN }), 200);
    expect(detail.shard).toBe(fewest);
    for (let i = 0; i < 6; i += 1) await createTenant();
    const after = await counts();
    expect(Math.abs(after.SHARD_1 - after.SHARD_2)).toBeLessThanOrEqual(1);
    // Its data is on its shard alone: the other shard has none of it.
    const { key, tenantId: other } = await createTenant();
    const sent = await sendMessage(key, { to: number(), body: "placed" });
    const own = await dbOf(other);
    const elsewhere = (await shardOf(other)) === "SHARD_1" ? env.SHARD_2 : env.SHARD_1;
    expect(await own.select().from(messages).where(eq(messages.id, sent.id))).toHaveLength(1);
    expect(await elsewhere.prepare("SELECT 1 FROM messages WHERE id = ?").bind(sent.id).first()).toBeNull();
    expect(await env.DB.prepare("SELECT 1 FROM messages WHERE id = ?").bind(sent.id).first()).toBeNull();
  });

  it("keeps tenants apart across shards: another tenant's message is a 404 on either", async () => {
    const [a, b] = await tenantsOnBothShards();
    const message = await sendMessage(a.key, { to: number(), body: "mine" });
    await expectProblem(await call(`/v1/messages/${message.id}`, { key: b.key }), 404, "not_found");
    expect((await okJson(await call(`/v1/messages/${message.id}`, { key: a.key }), 200)).id).toBe(message.id);
  });
});

describe("retention settings", () => {
  it("defaults to 90 days, is set by the operator (1 to 400), and is readable in GET /v1/account", async () => {
    const { key, tenantId } = await createTenant();
    expect((await okJson(await call("/v1/account", { key }), 200)).retention_days).toBe(90);
    const patched = await okJson(await call(`/v1/admin/tenants/${tenantId}`, { method: "PATCH", headers: ADMIN, json: { retention_days: 30 } }), 200);
    expect(patched.retention_days).toBe(30);
    expect((await okJson(await call("/v1/account", { key }), 200)).retention_days).toBe(30);
    for (const bad of [0, 401, 1.5, "30"]) {
      const problem = await expectProblem(await call(`/v1/admin/tenants/${tenantId}`, { method: "PATCH", headers: ADMIN, json: { retention_days: bad } }), 422, "validation_failed");
      expect(problem.errors?.[0]?.path).toBe("body.retention_days");
    }
    expect((await okJson(await call(`/v1/admin/tenants/${tenantId}`, { headers: ADMIN }), 200)).retention_days).toBe(30);
  });
});

describe("receipts find their shard", () => {
  it("applies each tenant's receipts on its own shard, and the other shard stores none of them", async () => {
    const [a, b] = await tenantsOnBothShards();
    for (const tenant of [a, b]) {
      // The simulator's receipts carry the message id and shard back, as Twilio's callback URL and Vonage's client-ref do.
      const sent = await sendMessage(tenant.key, { to: number("0001"), body: "receipt" });
      const settled = await waitForStatus(tenant.key, sent.id, "undelivered");
      const shard = await shardOf(tenant.tenantId);
      // A duplicate naming its message and shard in the reference.
      const duplicate = { ...receiptFor(settled.carrier_message_id, "undelivered"), reference: `${sent.id}.${shard}` };
      await receiptResult(await postReceipt(duplicate), "ignored");
      // Stored on the tenant's shard only.
      const other = shard === "SHARD_1" ? env.SHARD_2 : env.SHARD_1;
      const stored = await (await dbOf(tenant.tenantId)).$client.prepare("SELECT COUNT(*) AS n FROM carrier_receipts WHERE message_id = ?").bind(sent.id).first<{ n: number }>();
      expect(stored!.n).toBeGreaterThanOrEqual(2);
      expect(await other.prepare("SELECT 1 FROM carrier_receipts WHERE message_id = ?").bind(sent.id).first()).toBeNull();
    }
  });

  it("finds the shard of a receipt that names none (an SMPP bridge's) by looking on each", async () => {
    const [a, b] = await tenantsOnBothShards();
    for (const tenant of [a, b]) {
      const sent = await sendMessage(tenant.key, { to: number("0001"), body: "no reference" });
      const settled = await waitForStatus(tenant.key, sent.id, "undelivered");
      // The same receipt with no reference at all: found on whichever shard holds the message.
      await receiptResult(await postReceipt(receiptFor(settled.carrier_message_id, "delivered")), "ignored");
    }
  });
});

describe("inbound replies find their tenant's shard by the number", () => {
  it("records each tenant's replies on its own shard", async () => {
    const [a, b] = await tenantsOnBothShards();
    for (const tenant of [a, b]) {
      const own = number("0100");
      await okJson(await call(`/v1/admin/tenants/${tenant.tenantId}/numbers`, { method: "POST", headers: ADMIN, json: { number: own } }), 201);
      const from = number();
      const response = await postSigned("/webhooks/simulator/inbound", { from, to: own, text: "hello there", received_at: new Date().toISOString() });
      expect(await okJson(response, 200)).toEqual({ result: "recorded", action: null });
      const listed = await okJson(await call("/v1/inbound", { key: tenant.key }), 200);
      expect(listed.data).toMatchObject([{ from, to: own, text: "hello there" }]);
      const other = (await shardOf(tenant.tenantId)) === "SHARD_1" ? env.SHARD_2 : env.SHARD_1;
      expect(await other.prepare(`SELECT 1 FROM inbound_messages WHERE tenant_id = ?`).bind(tenant.tenantId).first()).toBeNull();
    }
  });
});

describe("operator views merge every shard", () => {
  it("lists both shards' templates in one review queue, oldest first, and approves either by id", async () => {
    const [a, b] = await tenantsOnBothShards();
    const made: { id: string }[] = [];
    for (const tenant of [a, b, a]) {
      made.push(await createTemplate(tenant.key, { name: "Notice", type: "notification", body: `Your order {{order}} shipped (${made.length})` }));
    }
    const queue: { id: string; tenant_id: string }[] = [];
    let cursor: string | null = null;
    do {
      const page: { data: { id: string; tenant_id: string }[]; next_cursor: string | null } = await okJson(
        await call(`/v1/admin/templates?status=pending_review&limit=2${cursor ? `&cursor=${cursor}` : ""}`, { headers: ADMIN }),
        200,
      );
      queue.push(...page.data);
      cursor = page.next_cursor;
    } while (cursor);
    const ours = queue.filter((t) => made.some((m) => m.id === t.id));
    expect(ours.map((t) => t.id)).toEqual(made.map((m) => m.id));
    expect(new Set(ours.map((t) => t.tenant_id))).toEqual(new Set([a.tenantId, b.tenantId]));
    for (const template of made) {
      expect((await okJson(await call(`/v1/admin/templates/${template.id}/approve`, { method: "POST", headers: ADMIN }), 200)).status).toBe("approved");
    }
    const stored = await Promise.all([a, b].map(async (t) => (await dbOf(t.tenantId)).select().from(templates).where(eq(templates.tenantId, t.tenantId))));
    expect(stored.flat().every((row) => row.status === "approved")).toBe(true);
    await expectProblem(await call(`/v1/admin/templates/tpl_01NOSUCHTEMPLATE00000000000/approve`, { method: "POST", headers: ADMIN }), 404, "not_found");
  });

  it("shows the oldest stuck message and the dead letters of whichever shard has them", async () => {
    const [a, b] = await tenantsOnBothShards();
    const now = Date.now();
    // A queued message on each shard; the older one (on b's shard) is the one shown.
    await insertQueuedMessage(a.tenantId, number(), now - 60_000 * 60 * 24 * 300);
    const oldest = await insertQueuedMessage(b.tenantId, number(), now - 60_000 * 60 * 24 * 365);
    await insertQueuedMessage(a.tenantId, number(), now - 1000, "simulator", { status: "failed", errorCode: "dead_lettered" });
    await insertQueuedMessage(b.tenantId, number(), now - 1000, "simulator", { status: "failed", errorCode: "dead_lettered" });
    const health = await okJson(await call("/v1/admin/health", { headers: ADMIN }), 200);
    expect(health.oldest.queued).toMatchObject({ id: oldest.id, tenant_id: b.tenantId });
    expect(health.dead_lettered.last_24h).toBeGreaterThanOrEqual(2);
  });
});
