import { createExecutionContext, createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { dispatchDue } from "../../src/services/scheduling";
import { call, createTenant, expectProblem, getMessage, okJson, sendMessage, liveKeyFor } from "../helpers/api";
import { createBatch, getBatch, waitForBatch } from "../helpers/batches";
import { approvedTemplate } from "../helpers/catalog";
import { account, fundedLiveTenant, ledger } from "../helpers/meter";
import { insertQueuedMessage, number, scopeOf, waitForStatus } from "../helpers/seed";

const runCron = (scheduledTime: number) =>
  worker.scheduled(createScheduledController({ cron: "* * * * *", scheduledTime }), env, createExecutionContext());
const inMinutes = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString();

describe("scheduled messages", () => {
  it("waits as `scheduled` until the cron finds it due, then goes like any other", async () => {
    const { key } = await createTenant();
    const sendAt = inMinutes(10);
    const accepted = await sendMessage(key, { to: number(), body: "Your appointment is tomorrow", send_at: sendAt });
    expect(accepted).toMatchObject({ status: "scheduled", send_at: new Date(sendAt).toISOString() });
    expect(accepted.events).toEqual([expect.objectContaining({ status: "scheduled", detail: `scheduled for ${new Date(sendAt).toISOString()}` })]);

    await runCron(Date.parse(sendAt) - 60_000);
    expect((await getMessage(key, accepted.id)).status).toBe("scheduled");

    await runCron(Date.parse(sendAt));
    const delivered = await waitForStatus(key, accepted.id, "delivered");
    expect(delivered.events.map((e: any) => e.status)).toEqual(["scheduled", "queued", "sending", "sent", "delivered"]);
  });

  it("refuses a send_at that is too soon, too far, or has no offset, with 422 on the field", async () => {
    const { key } = await createTenant();
    for (const sendAt of [inMinutes(0.5), inMinutes(31 * 24 * 60), "2030-01-01T10:00:00", "tomorrow"]) {
      const problem = await expectProblem(
        await call("/v1/messages", { method: "POST", key, json: { to: number(), body: "hi", send_at: sendAt } }),
        422,
        "validation_failed",
      );
      expect(problem.errors?.map((e) => e.path)).toContain("body.send_at");
    }
    expect((await okJson(await call("/v1/messages", { key }), 200)).data).toEqual([]);
  });

  it("cancels a scheduled message and refunds it; a queued one is 409; canceling twice answers the same", async () => {
    const { key, tenantId } = await fundedLiveTenant(100_000, { unitPrice: 10_000 });
    const scheduled = await sendMessage(key, { to: number(), body: "Reminder", send_at: inMinutes(60) });
    expect((await account(key)).balance).toBe(90_000);

    const canceled = await okJson(await call(`/v1/messages/${scheduled.id}/cancel`, { method: "POST", key }), 200);
    expect(canceled).toMatchObject({ status: "canceled", refunded: true });
    expect(canceled.events.map((e: any) => e.status)).toEqual(["scheduled", "canceled"]);
    expect((await account(key)).balance).toBe(100_000);
    expect(await okJson(await call(`/v1/messages/${scheduled.id}/cancel`, { method: "POST", key }), 200)).toMatchObject({ status: "canceled" });
    expect((await ledger(tenantId)).filter((e) => e.kind === "refund")).toHaveLength(1);
    // A canceled message is never dispatched.
    await runCron(Date.now() + 2 * 3_600_000);
    expect((await getMessage(key, scheduled.id)).status).toBe("canceled");

    const now = await sendMessage(key, { to: number(), body: "Now" });
    const problem = await expectProblem(await call(`/v1/messages/${now.id}/cancel`, { method: "POST", key }), 409, "not_cancelable");
    expect(problem.detail).toMatch(/only a scheduled message/);

    const other = await createTenant();
    await expectProblem(await call(`/v1/messages/${scheduled.id}/cancel`, { method: "POST", key: other.key }), 404, "not_found");
  });

  it("never dispatches a message twice when cron runs overlap", async () => {
    const { tenantId } = await createTenant();
    const due = Date.now() - 1000;
    const ids = [];
    for (let i = 0; i < 30; i += 1) ids.push((await insertQueuedMessage(tenantId, number(), due, "simulator", { status: "scheduled", sendAt: due })).id);
    const { db, env: scoped } = await scopeOf(tenantId);
    const [a, b, c] = await Promise.all([dispatchDue(db, scoped.SEND_QUEUE, Date.now()), dispatchDue(db, scoped.SEND_QUEUE, Date.now()), dispatchDue(db, scoped.SEND_QUEUE, Date.now() + 1)]);
    expect(a! + b! + c!).toBe(30);
    const events = await db.all<{ message_id: string; n: number }>(sql`
      SELECT message_id, COUNT(*) AS n FROM message_events WHERE status = 'queued'
      AND message_id IN (SELECT value FROM json_each(${JSON.stringify(ids)})) GROUP BY message_id`);
    expect(events).toHaveLength(30);
    expect(events.every((e) => e.n === 1)).toBe(true);
  });

  it("drains a backlog over several runs, oldest first, a bounded chunk a run", async () => {
    const { tenantId } = await createTenant();
    const base = Date.now() - 3_600_000;
    const rows = [];
    for (let i = 0; i < 25; i += 1) rows.push(await insertQueuedMessage(tenantId, number(), base, "simulator", { status: "scheduled", sendAt: base + i * 1000 }));
    const now = Date.now();
    const { db, env: scoped } = await scopeOf(tenantId);
    expect(await dispatchDue(db, scoped.SEND_QUEUE, now, 10)).toBe(10);
    const first = await db.all<{ id: string }>(sql`SELECT id FROM messages WHERE status != 'scheduled' AND tenant_id = ${tenantId}`);
    expect(first.map((r) => r.id).sort()).toEqual(rows.slice(0, 10).map((r) => r.id).sort());
    expect(await dispatchDue(db, scoped.SEND_QUEUE, now, 10)).toBe(10);
    expect(await dispatchDue(db, scoped.SEND_QUEUE, now, 10)).toBe(5);
    expect(await dispatchDue(db, scoped.SEND_QUEUE, now, 10)).toBe(0);
  });

  it("starts a scheduled batch at its time", async () => {
    const { key } = await createTenant();
    const sendAt = inMinutes(5);
    const batch = await createBatch(key, { type: "notification", body: "hi", recipients: [{ to: number() }, { to: number() }], send_at: sendAt });
    expect(batch).toMatchObject({ status: "scheduled", send_at: new Date(sendAt).toISOString() });
    await runCron(Date.parse(sendAt) - 60_000);
    expect((await getBatch(key, batch.id)).status).toBe("scheduled");
    await runCron(Date.parse(sendAt));
    const done = await waitForBatch(key, batch.id, (b) => b.status === "completed" && b.counts.delivered === 2);
    expect(done.accepted).toBe(2);
  });

  it("will not delete a template that scheduled messages use (409) until they are canceled", async () => {
    const { key } = await createTenant();
    const template = await approvedTemplate(key, { name: "Visit", type: "notification", body: "See you at {{time}}" });
    const message = await sendMessage(key, { to: number(), template_id: template.id, params: { time: "10:00" }, send_at: inMinutes(30) });
    await expectProblem(await call(`/v1/templates/${template.id}`, { method: "DELETE", key: await liveKeyFor(key) }), 409, "in_use");
    await okJson(await call(`/v1/messages/${message.id}/cancel`, { method: "POST", key }), 200);
    expect((await call(`/v1/templates/${template.id}`, { method: "DELETE", key: await liveKeyFor(key) })).status).toBe(204);
  });
});
