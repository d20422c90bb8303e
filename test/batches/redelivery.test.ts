import { createExecutionContext, createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { BATCH_STALLED_AFTER_MS } from "../../src/cron/batches";
import worker from "../../src/index";
import { batchMessageId } from "../../src/lib/ids";
import { call, createTenant, okJson, liveKeyFor } from "../helpers/api";
import { approvedTemplate, createTemplate, review } from "../helpers/catalog";
import { batchMessages, createBatch, expanded, getBatch, waitForBatch } from "../helpers/batches";
import { account, fundedLiveTenant, ledger, meterOf } from "../helpers/meter";
import { drive } from "../helpers/queues";
import { dbHolding, number } from "../helpers/seed";

const runCron = (scheduledTime: number) =>
  worker.scheduled(createScheduledController({ cron: "* * * * *", scheduledTime }), env, createExecutionContext());

/** A batch recorded for later, then made due by hand, so no job of the real queue touches it. */
async function heldBatch(key: string, recipients: number) {
  const batch = await createBatch(key, {
    type: "notification",
    body: "Your statement is ready",
    recipients: Array.from({ length: recipients }, () => ({ to: number() })),
    send_at: new Date(Date.now() + 3_600_000).toISOString(),
  });
  await (await dbHolding("batches", batch.id)).run(sql`UPDATE batches SET status = 'expanding' WHERE id = ${batch.id}`);
  return batch;
}

describe("batch steps under redelivery", () => {
  it("expands a chunk once when its job arrives twice at once, and charges once", async () => {
    const { key, tenantId } = await fundedLiveTenant(1_000_000, { unitPrice: 10_000 });
    const batch = await heldBatch(key, 4);
    const job = { kind: "batch", batch_id: batch.id, position: 0, at: Date.now() };
    const result = await drive("sms-batches", [job, job]);
    expect(result.explicitAcks).toHaveLength(2);

    const done = await waitForBatch(key, batch.id, expanded);
    expect(done).toMatchObject({ accepted: 4, rejected: 0 });
    expect(await batchMessages(key, batch.id)).toHaveLength(4);
    expect((await ledger(tenantId)).filter((e) => e.kind === "reserve")).toHaveLength(4);
    expect((await account(key)).balance).toBe(960_000);
  });

  it("charges nothing twice when a step died after the meter admitted its chunk", async () => {
    const { key, tenantId } = await fundedLiveTenant(1_000_000, { unitPrice: 10_000 });
    const batch = await heldBatch(key, 3);
    const at = Date.now();
    // The first attempt got as far as the meter: its chunk is admitted and charged, nothing is in D1.
    const rows = await (await dbHolding("batches", batch.id)).all<{ idx: number; to: string }>(sql`SELECT idx, "to" FROM batch_items WHERE batch_id = ${batch.id} ORDER BY idx`);
    await meterOf(tenantId).admitBatch({
      tenantId,
      type: "notification",
      exempt: false,
      sandbox: false,
      items: rows.map((r) => ({ messageId: batchMessageId(batch.id, r.idx, at), recipient: r.to, segments: 1, price: 10_000 })),
    });
    expect((await account(key)).balance).toBe(970_000);

    // Its redelivery names the same messages: they are stored, and not charged again.
    await drive("sms-batches", [{ kind: "batch", batch_id: batch.id, position: 0, at }]);
    const done = await waitForBatch(key, batch.id, expanded);
    expect(done.accepted).toBe(3);
    expect((await batchMessages(key, batch.id)).map((m) => m.id).sort()).toEqual(rows.map((r) => batchMessageId(batch.id, r.idx, at)).sort());
    expect((await account(key)).balance).toBe(970_000);
  });

  it("ignores a step whose position the batch has moved past", async () => {
    const { key } = await createTenant();
    const batch = await heldBatch(key, 2);
    await drive("sms-batches", [{ kind: "batch", batch_id: batch.id, position: 0, at: Date.now() }]);
    await waitForBatch(key, batch.id, expanded);
    await drive("sms-batches", [{ kind: "batch", batch_id: batch.id, position: 0, at: Date.now() + 5 }]);
    expect(await getBatch(key, batch.id)).toMatchObject({ accepted: 2, rejected: 0 });
    expect(await batchMessages(key, batch.id)).toHaveLength(2);
  });

  it("restarts a batch whose chain of jobs broke, from where it stood", async () => {
    const { key } = await createTenant();
    const batch = await heldBatch(key, 3);
    await (await dbHolding("batches", batch.id)).run(sql`UPDATE batches SET updated_at = ${Date.now() - BATCH_STALLED_AFTER_MS - 1000} WHERE id = ${batch.id}`);
    await runCron(Date.now());
    const done = await waitForBatch(key, batch.id, expanded);
    expect(done.accepted).toBe(3);
  });
});

describe("a batch whose template stopped being sendable", () => {
  it("ends at expansion with the reason, every recipient rejected, instead of retrying", async () => {
    const { key } = await createTenant();
    // A test key may send a template still in review; the operator then rejects it.
    const template = await createTemplate(key, { name: "Promo", type: "notification", body: "New arrivals are in" });
    const sendAt = Date.now() + 120_000;
    const batch = await createBatch(key, { type: "notification", template_id: template.id, recipients: [{ to: number() }, { to: number() }], send_at: new Date(sendAt).toISOString() });
    expect((await review("templates", template.id, "reject")).status).toBe(200);

    await runCron(sendAt);
    const done = await waitForBatch(key, batch.id, expanded);
    expect(done).toMatchObject({ status: "completed", total: 2, accepted: 0, rejected: 2, stopped: { code: "template_not_approved" } });
  });
});

describe("a batch to a group", () => {
  it("renders each contact's attributes, rejects one without the param, and reads the group as it was", async () => {
    const { key } = await createTenant();
    const group = await okJson(await call("/v1/groups", { method: "POST", key, json: { name: "Members" } }), 201);
    const [ann, bo, late] = [number(), number(), number()];
    await okJson(
      await call(`/v1/contacts/import?group_id=${group.id}`, { method: "POST", key: await liveKeyFor(key), json: [{ phone: ann, first_name: "Ann", city: "Oslo" }, { phone: bo, city: "Rome" }] }),
      200,
    );
    const template = await approvedTemplate(key, { name: "Hi", type: "notification", body: "Hi {{first_name}}!" });
    const sendAt = Date.now() + 120_000;
    const batch = await createBatch(key, { type: "notification", template_id: template.id, group_id: group.id, send_at: new Date(sendAt).toISOString() });
    expect(batch).toMatchObject({ status: "scheduled", total: null, group_id: group.id });
    // Joined after the batch was made: not part of it.
    await okJson(await call(`/v1/groups/${group.id}/members`, { method: "POST", key: await liveKeyFor(key), json: { phones: [late] } }), 200);

    await runCron(sendAt);
    const done = await waitForBatch(key, batch.id, expanded);
    expect(done).toMatchObject({ total: 2, accepted: 1, rejected: 1 });
    expect(done.rejects).toEqual([expect.objectContaining({ to: bo, code: "invalid_params", contact_id: expect.stringMatching(/^con_/) })]);
    expect((await batchMessages(key, batch.id)).map((m) => [m.to, m.body])).toEqual([[ann, "Hi Ann!"]]);
  });
});
