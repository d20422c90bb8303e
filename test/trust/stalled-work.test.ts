// Shard-wide cron work that a crowd of one kind of batch must not hide: 101 drained canceled batches (or 101
// sending batches still at work) ahead of the one that needs the cron still leave it found.
import { describe, expect, it } from "vitest";
import { BATCH_STALLED_AFTER_MS, completeBatches, restartStalledBatches } from "../../src/cron/batches";
import { createTenant } from "../helpers/api";
import { d1Of, dbOf, insertQueuedMessage, number } from "../helpers/seed";

/** Batch rows written straight to the shard, `count` at once, oldest first. */
async function insertBatches(d1: D1Database, tenantId: string, prefix: string, count: number, fields: { status: string; updatedAt: number; drainedAt?: number | null }) {
  const ids = Array.from({ length: count }, (_, i) => `bat_${prefix}${String(i).padStart(22, "0")}`);
  await d1
    .prepare(
      `INSERT INTO batches (id, tenant_id, mode, type, body, status, created_at, updated_at, drained_at, canceled_at)
       SELECT value, ?, 'test', 'notification', 'hi', ?, ?, ? + key, ?, ? FROM json_each(?)`,
    )
    .bind(tenantId, fields.status, fields.updatedAt, fields.updatedAt, fields.drainedAt ?? null, fields.status === "canceled" ? fields.updatedAt : null, JSON.stringify(ids))
    .run();
  return ids;
}

const recordingQueue = () => {
  const sent: unknown[] = [];
  return { sent, queue: { send: async (body: unknown) => void sent.push(body), sendBatch: async (bodies: { body: unknown }[]) => void sent.push(...bodies.map((b) => b.body)) } as unknown as Queue };
};

describe("cron batch work is not hidden by a crowd", () => {
  it("restarts a stalled expanding batch behind 101 drained canceled ones", async () => {
    const { tenantId } = await createTenant();
    const d1 = await d1Of(tenantId);
    const now = Date.now();
    const old = now - BATCH_STALLED_AFTER_MS - 3_600_000;
    await insertBatches(d1, tenantId, "drained", 101, { status: "canceled", updatedAt: old, drainedAt: old });
    const [stalled] = await insertBatches(d1, tenantId, "stalled", 1, { status: "expanding", updatedAt: old + 1000 });
    const { sent, queue } = recordingQueue();
    expect(await restartStalledBatches(await dbOf(tenantId), queue, now)).toBe(1);
    expect(JSON.stringify(sent)).toContain(stalled);
  });

  it("completes a finished sending batch behind 101 sending batches still at work", async () => {
    const { tenantId } = await createTenant();
    const db = await dbOf(tenantId);
    const d1 = db.$client;
    const now = Date.now();
    const busy = await insertBatches(d1, tenantId, "busyxx", 101, { status: "sending", updatedAt: now - 60_000 });
    await d1.prepare(`UPDATE batches SET total = 1 WHERE id IN (SELECT value FROM json_each(?))`).bind(JSON.stringify(busy)).run();
    await Promise.all(busy.map((id) => insertQueuedMessage(tenantId, number(), now, "simulator", { batchId: id })));
    const [finished] = await insertBatches(d1, tenantId, "finish", 1, { status: "sending", updatedAt: now - 1000 });
    expect(await completeBatches(db, now)).toBe(1);
    expect((await d1.prepare(`SELECT status FROM batches WHERE id = ?`).bind(finished).first<{ status: string }>())?.status).toBe("completed");
  });
});
