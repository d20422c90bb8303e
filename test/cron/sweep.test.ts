import { createExecutionContext, createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { STUCK_AFTER_MS, sweepStuck } from "../../src/cron/sweep-stuck";
import worker from "../../src/index";
import { acceptMessage } from "../../src/services/messages";
import { createTenant, getMessage } from "../helpers/api";
import { d1Of, dbOf, insertQueuedMessage, number, scopeOf, waitForStatus } from "../helpers/seed";

describe("stuck-message sweeper", () => {
  it("re-enqueues a message left queued (its enqueue was lost), which then gets delivered", async () => {
    const { key, tenantId } = await createTenant();
    const now = Date.now();
    const stuck = await insertQueuedMessage(tenantId, number("5555"), now - STUCK_AFTER_MS - 60_000);
    const fresh = await insertQueuedMessage(tenantId, number("5555"), now);

    await worker.scheduled(createScheduledController({ cron: "* * * * *", scheduledTime: now }), env, createExecutionContext());

    await waitForStatus(key, stuck.id, "delivered");
    // A message queued a moment ago is still in its queue's hands: the sweeper leaves it be.
    expect((await getMessage(key, fresh.id)).status).toBe("queued");
  });

  it("keeps a message accepted while the queue is down, and delivers it once the sweeper runs", async () => {
    vi.spyOn(console, "warn").mockImplementation(() => {});
    const { key, tenantId, keyId } = await createTenant();
    const queueDown = { send: () => Promise.reject(new Error("queue unavailable")) } as unknown as Queue;
    const result = await acceptMessage(
      { ...env, SEND_QUEUE: queueDown },
      await dbOf(tenantId),
      { tenantId, shard: (await scopeOf(tenantId)).shard, keyId, mode: "test", metered: true, sandbox: true },
      { to: number("5555"), body: "hi", type: "notification" },
      {},
    );
    if (result.kind !== "accepted") throw new Error(`expected an accepted message, got ${result.kind}`);
    const accepted = result.message;
    expect((await getMessage(key, accepted.id)).status).toBe("queued");

    const later = Date.now() + STUCK_AFTER_MS + 1000;
    await worker.scheduled(createScheduledController({ cron: "* * * * *", scheduledTime: later }), env, createExecutionContext());
    await waitForStatus(key, accepted.id, "delivered");
  });

  it("re-enqueues each stuck message once, even when runs overlap", async () => {
    const { tenantId } = await createTenant();
    const now = Date.now();
    await insertQueuedMessage(tenantId, number("0003"), now - STUCK_AFTER_MS - 1);
    await insertQueuedMessage(tenantId, number("0003"), now - STUCK_AFTER_MS - 1);
    const { db, env: scoped } = await scopeOf(tenantId);
    const counts = await Promise.all([sweepStuck(db, scoped.SEND_QUEUE, now), sweepStuck(db, scoped.SEND_QUEUE, now)]);
    expect(counts[0]! + counts[1]!).toBe(2);
    expect(await sweepStuck(db, scoped.SEND_QUEUE, now + 1000)).toBe(0);
  });

  it("runs every job even when one fails, and reports the failure", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const { key, tenantId } = await createTenant();
    const now = Date.now();
    await insertQueuedMessage(tenantId, number("5555"), now - 1000, "simulator", { status: "scheduled", sendAt: now - 1000, body: "doomed" });
    const stuck = await insertQueuedMessage(tenantId, number("5555"), now - STUCK_AFTER_MS - 60_000);
    // The database refuses to dispatch the scheduled message: the first job fails.
    const d1 = await d1Of(tenantId);
    await d1.exec(
      "CREATE TRIGGER refuse_dispatch BEFORE UPDATE ON messages WHEN NEW.body = 'doomed' BEGIN SELECT RAISE(ABORT, 'disk full'); END",
    );
    try {
      await expect(
        worker.scheduled(createScheduledController({ cron: "* * * * *", scheduledTime: now }), env, createExecutionContext()),
      ).rejects.toThrow(/disk full/);
      await waitForStatus(key, stuck.id, "delivered");
    } finally {
      await d1.exec("DROP TRIGGER refuse_dispatch");
    }
  });

  it("refuses a cron expression it has no job for", async () => {
    await expect(
      worker.scheduled(createScheduledController({ cron: "0 0 * * *" }), env, createExecutionContext()),
    ).rejects.toThrow(/No job/);
  });
});
