// A tenant's backlog of webhook deliveries costs queue and D1 work in proportion to its size: each delivery over
// the tenant's share of a consumer batch is moved to a later slot and queued once for it, not re-queued every
// couple of seconds until its turn comes.
import { http, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { runDeliveries } from "../../src/queues/webhooks";
import { POSTS_PER_TENANT } from "../../src/services/webhooks";
import { call, createTenant, okJson } from "../helpers/api";
import { mockNetwork } from "../helpers/network";
import { d1Of, dbOf } from "../helpers/seed";

const network = mockNetwork();
const BACKLOG = 1_000;
/** The consumer's batch size for the webhooks queue (wrangler.toml). */
const CONSUMER_BATCH = 50;

describe("a tenant's webhook backlog", () => {
  it("is delivered in full with about one enqueue per delivery (1,000 deliveries)", async () => {
    const { key, tenantId } = await createTenant();
    const url = "https://hooks.example.com/backlog";
    let posts = 0;
    network.use(http.post(url, () => ((posts += 1), new HttpResponse(null, { status: 204 }))));
    const endpoint = await okJson(await call("/v1/webhooks", { method: "POST", key, json: { url, events: ["message.status"] } }), 201);
    const d1 = await d1Of(tenantId);
    const start = Date.now();
    const ids = Array.from({ length: BACKLOG }, (_, i) => `wdl_backlog${String(i).padStart(16, "0")}`);
    await d1.batch([
      d1.prepare(`INSERT INTO events (id, tenant_id, type, source, data, mode, created_at, fanned_out_at) VALUES ('evt_backlog', ?, 'message.status', 'backlog', '{}', 'test', ?, ?)`).bind(tenantId, start, start),
      d1.prepare(
        `INSERT INTO webhook_deliveries (id, event_id, tenant_id, endpoint_id, url, status, attempts, next_attempt_at, created_at, updated_at)
         SELECT value, 'evt_backlog', ?, ?, ?, 'pending', 0, ?, ?, ? FROM json_each(?)`,
      ).bind(tenantId, endpoint.id, url, start, start, start, JSON.stringify(ids)),
    ]);

    // The queue, simulated on a clock of its own: every job sent is counted, and run in consumer batches once due.
    const pending: { id: string; at: number }[] = [];
    let enqueued = 0;
    let clock = start;
    const queue = {
      send: async () => {
        throw new Error("deliveries are enqueued in batches");
      },
      sendBatch: async (jobs: { body: { delivery_id: string }; delaySeconds?: number }[]) => {
        enqueued += jobs.length;
        for (const job of jobs) pending.push({ id: job.body.delivery_id, at: clock + (job.delaySeconds ?? 0) * 1000 });
      },
    } as unknown as Queue;
    const consumerEnv = { ...env, WEBHOOK_QUEUE: queue };
    const db = await dbOf(tenantId);

    // The fan-out's first run takes every delivery at once, as runEventFanOut does.
    await runDeliveries(consumerEnv, db, ids, clock);
    for (let rounds = 0; pending.length > 0 && rounds < 500; rounds += 1) {
      clock = Math.max(clock, Math.min(...pending.map((job) => job.at)));
      const due = pending.filter((job) => job.at <= clock).slice(0, CONSUMER_BATCH);
      for (const job of due) pending.splice(pending.indexOf(job), 1);
      await runDeliveries(consumerEnv, db, due.map((job) => job.id), clock);
    }

    const { results } = await d1.prepare(`SELECT status, count(*) AS n FROM webhook_deliveries WHERE event_id = 'evt_backlog' GROUP BY status`).all();
    expect(results).toEqual([{ status: "succeeded", n: BACKLOG }]);
    expect(posts).toBe(BACKLOG);
    // Linear: each delivery over the first share queued about once (the old way re-queued every deferred one
    // each round, several times the backlog in all).
    expect(enqueued).toBeGreaterThanOrEqual(BACKLOG - POSTS_PER_TENANT);
    expect(enqueued).toBeLessThanOrEqual(BACKLOG * 1.1);
  });
});
