import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { http, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import { attemptDeliveries, dueWebhookWork, POSTS_PER_TENANT } from "../../src/services/webhooks";
import { call, createTenant, okJson } from "../helpers/api";
import { mockNetwork } from "../helpers/network";
import { dbOf, shardOf } from "../helpers/seed";

const network = mockNetwork();

/**
 * A tenant with an endpoint and `count` events waiting to be delivered to it, due an hour ago. Fairness is
 * per consumer batch, and a batch's deliveries are one shard's: `nextTo` places the tenant beside another.
 */
async function tenantWithBacklog(host: string, count: number, nextTo?: { shard: string }) {
  let tenant = await createTenant();
  // Placement alternates between the shards, so a few creations find one on the same shard.
  while (nextTo && (await shardOf(tenant.tenantId)) !== nextTo.shard) tenant = await createTenant();
  const { tenantId, key } = tenant;
  const db = await dbOf(tenantId);
  const endpoint = await okJson(await call("/v1/webhooks", { method: "POST", key, json: { url: `https://${host}/hook`, events: ["message.inbound"] } }), 201);
  const due = Date.now() - 3_600_000;
  const rows = Array.from({ length: count }, (_, i) => ({ event: `evt_${host}_${i}`, delivery: `dlv_${host}_${i}` }));
  await db.run(sql`INSERT INTO events (id, tenant_id, mode, type, source, data, created_at, fanned_out_at)
    SELECT j.value ->> '$.event', ${tenantId}, 'test', 'message.inbound', j.value ->> '$.event', '{"text":"hi"}', ${due}, ${due} FROM json_each(${JSON.stringify(rows)}) AS j`);
  await db.run(sql`INSERT INTO webhook_deliveries (id, event_id, tenant_id, endpoint_id, url, status, attempts, next_attempt_at, created_at, updated_at)
    SELECT j.value ->> '$.delivery', j.value ->> '$.event', ${tenantId}, ${endpoint.id}, ${`https://${host}/hook`}, 'pending', 0, ${due}, ${due}, ${due}
    FROM json_each(${JSON.stringify(rows)}) AS j`);
  return { ids: rows.map((r) => r.delivery), shard: await shardOf(tenantId), db };
}

describe("webhook deliveries are fair across tenants", () => {
  it("one tenant's failing backlog takes at most its share of a batch's posts; the rest wait, their tries not counted", async () => {
    const { ids: noisy, db, ...placed } = await tenantWithBacklog("noisy.example.com", 40);
    const { ids: quiet } = await tenantWithBacklog("quiet.example.com", 2, placed);
    const posts: string[] = [];
    network.use(
      http.post("https://noisy.example.com/hook", () => {
        posts.push("noisy");
        return new HttpResponse(null, { status: 500 });
      }),
      http.post("https://quiet.example.com/hook", () => {
        posts.push("quiet");
        return new HttpResponse(null, { status: 204 });
      }),
    );
    // A consumer batch with the noisy tenant's deliveries first, as a backlog would put them.
    const outcomes = await attemptDeliveries(env, db, [...noisy, ...quiet]);
    expect(posts.filter((p) => p === "noisy")).toHaveLength(POSTS_PER_TENANT);
    expect(posts.filter((p) => p === "quiet")).toHaveLength(2);
    expect(quiet.map((id) => outcomes.get(id)?.kind)).toEqual(["succeeded", "succeeded"]);
    const kinds = noisy.map((id) => outcomes.get(id)!.kind);
    expect(kinds.filter((k) => k === "retry")).toHaveLength(POSTS_PER_TENANT);
    expect(kinds.filter((k) => k === "deferred")).toHaveLength(40 - POSTS_PER_TENANT);
    const [tried] = await db.all<{ n: number }>(sql`SELECT COUNT(*) AS n FROM webhook_deliveries WHERE id IN (SELECT value FROM json_each(${JSON.stringify(noisy)})) AND attempts > 0`);
    expect(tried!.n).toBe(POSTS_PER_TENANT);
  });

  it("the cron's catch-up takes a bounded share of each tenant's overdue deliveries", async () => {
    const { ids: noisy, db, ...placed } = await tenantWithBacklog("backlog.example.com", 150);
    const { ids: quiet } = await tenantWithBacklog("small.example.com", 3, placed);
    const work = await dueWebhookWork(db, Date.now(), 120);
    const picked = new Set(work.deliveries);
    expect(quiet.every((id) => picked.has(id))).toBe(true);
    expect(noisy.filter((id) => picked.has(id)).length).toBeLessThanOrEqual(POSTS_PER_TENANT * 10);
  });
});
