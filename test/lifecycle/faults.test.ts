import { createExecutionContext, createMessageBatch, createScheduledController, getQueueResult, runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq, like } from "drizzle-orm";
import { http, HttpResponse } from "msw";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { RECONCILE_SENDING_AFTER_MS } from "../../src/cron/reconcile-sending";
import { STUCK_AFTER_MS } from "../../src/cron/sweep-stuck";
import { RECLAIM_UNHANDED_AFTER_MS } from "../../src/services/delivery";
import { createDb } from "../../src/db/client";
import { observeD1 } from "../../src/db/probe";
import { applyReceipts, receiptRow } from "../../src/services/receipts";
import { carrierReceipts, events, messageParts, messages } from "../../src/db/schema";
import worker from "../../src/index";
import { clearFaults, injectFault, pendingFaults, type FaultTiming, type LifecycleStep } from "../../src/lib/faults";
import { RECONCILE_AFTER_MS } from "../../src/meter/tenant-meter";
import { QUEUES } from "../../src/queues";
import { call, createTenant, expectProblem, getMessage, okJson } from "../helpers/api";
import { createBatch, waitForBatch } from "../helpers/batches";
import { postTwilio, postVonage, putRoute, TWILIO_MESSAGES, ukNumber } from "../helpers/carriers";
import { fundedLiveTenant, ledger, meterOf, send, setMeterClock } from "../helpers/meter";
import { mockNetwork } from "../helpers/network";
import { drive, sendJob, stamped } from "../helpers/queues";
import { postReceipt, receiptFor, receiptResult } from "../helpers/receipts";
import { d1Of, dbHolding, dbOf, insertQueuedMessage, number, simulatorSubmissionsTo, waitForStatus } from "../helpers/seed";

const network = mockNetwork();

const arm = (step: LifecycleStep, timing: FaultTiming = "before") => injectFault(step, timing);

beforeEach(() => {
  // The faults are logged as errors and warnings on purpose.
  vi.spyOn(console, "error").mockImplementation(() => {});
  vi.spyOn(console, "warn").mockImplementation(() => {});
});
afterEach(() => {
  // Every fault a test armed fired: the step it names was really reached, and really failed.
  expect(pendingFaults()).toEqual([]);
  clearFaults();
  vi.restoreAllMocks();
});

const runCron = (at: number) => worker.scheduled(createScheduledController({ cron: "* * * * *", scheduledTime: at }), env, createExecutionContext());

/** The message's status changes as its events record them, and the tenant events made for it, by status. */
async function history(key: string, id: string) {
  const message = await getMessage(key, id);
  const tenantEvents = await (await dbHolding("messages", id)).select({ data: events.data }).from(events).where(like(events.source, `${id}:%`));
  return {
    message,
    steps: message.events.map((e: { status: string }) => e.status) as string[],
    notified: tenantEvents.map((e) => (e.data as { status: string }).status).sort(),
  };
}

/** Runs the send consumer on one batch with a changed environment (a queue that is down, say). */
async function driveWith(changed: Partial<Env>, queue: string, bodies: unknown[]) {
  const jobs = await Promise.all(bodies.map(stamped));
  const batch = createMessageBatch(queue, jobs.map((body, i) => ({ id: `job-${crypto.randomUUID()}-${i}`, timestamp: new Date(), attempts: 1, body })));
  const ctx = createExecutionContext();
  await worker.queue(batch, { ...env, ...changed }, ctx);
  return getQueueResult(batch, ctx);
}

const refunds = async (tenantId: string) => (await ledger(tenantId)).filter((entry: { kind: string }) => entry.kind === "refund");

describe("admission and the outbox write", () => {
  it("admission, before the meter: 500, nothing kept; the retry is accepted once and delivered", async () => {
    const { key } = await createTenant();
    const body = { to: number("5555"), body: "hello" };
    arm("admission");
    await expectProblem(await send(key, body, { headers: { "Idempotency-Key": "adm-1" } }), 500, "internal_error");
    expect((await okJson(await call("/v1/messages", { key }), 200)).data).toEqual([]);
    const accepted = await okJson(await send(key, body, { headers: { "Idempotency-Key": "adm-1" } }), 202);
    await waitForStatus(key, accepted.id, "delivered");
    expect(await simulatorSubmissionsTo(body.to)).toHaveLength(1);
  });

  it("admission, after the meter took its charge: the meter gives it back once it sees no message, and the retry is charged once", async () => {
    const { key, tenantId } = await fundedLiveTenant(10_000);
    const clock = Date.now();
    await setMeterClock(tenantId, clock);
    const body = { to: number("5555"), body: "hello" };
    arm("admission", "after");
    await expectProblem(await send(key, body, { headers: { "Idempotency-Key": "adm-2" } }), 500, "internal_error");
    // The key is held for the request that never finished; nothing was stored.
    await expectProblem(await send(key, body, { headers: { "Idempotency-Key": "adm-2" } }), 409, "idempotency_in_progress");
    await setMeterClock(tenantId, clock + RECONCILE_AFTER_MS + 61_000);
    await runDurableObjectAlarm(meterOf(tenantId));
    expect((await okJson(await call("/v1/account", { key }), 200)).balance).toBe(10_000);

    const accepted = await okJson(await send(key, body, { headers: { "Idempotency-Key": "adm-2" } }), 202);
    await waitForStatus(key, accepted.id, "delivered");
    expect((await okJson(await call("/v1/account", { key }), 200)).balance).toBe(0);
    expect(await simulatorSubmissionsTo(body.to)).toHaveLength(1);
  });

  it("outbox write, D1 failing: 500 and the charge given back; the retry is accepted once", async () => {
    const { key } = await fundedLiveTenant(10_000);
    const body = { to: number("5555"), body: "hello" };
    arm("outbox_write");
    await expectProblem(await send(key, body, { headers: { "Idempotency-Key": "out-1" } }), 500, "internal_error");
    expect((await okJson(await call("/v1/account", { key }), 200)).balance).toBe(10_000);
    const accepted = await okJson(await send(key, body, { headers: { "Idempotency-Key": "out-1" } }), 202);
    await waitForStatus(key, accepted.id, "delivered");
    expect(await simulatorSubmissionsTo(body.to)).toHaveLength(1);
  });

  it("outbox write, committed but the Worker died before the enqueue: the retry answers the stored message, the sweeper sends it once", async () => {
    const { key } = await createTenant();
    const body = { to: number("5555"), body: "hello" };
    arm("outbox_write", "after");
    await expectProblem(await send(key, body, { headers: { "Idempotency-Key": "out-2" } }), 500, "internal_error");
    const replay = await send(key, body, { headers: { "Idempotency-Key": "out-2" } });
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    const stored = await okJson(replay, 202);
    expect((await getMessage(key, stored.id)).status).toBe("queued");

    await runCron(Date.now() + STUCK_AFTER_MS + 60_000);
    await waitForStatus(key, stored.id, "delivered");
    expect(await simulatorSubmissionsTo(body.to)).toHaveLength(1);
    expect((await history(key, stored.id)).steps).toEqual(["queued", "sending", "sent", "delivered"]);
  });
});

describe("the send consumer", () => {
  it("claim, D1 failing: the jobs are retried and the redelivery sends once", async () => {
    const { key, tenantId } = await createTenant();
    const row = await insertQueuedMessage(tenantId, number("5555"));
    arm("claim");
    expect((await drive(QUEUES.send, [sendJob(row.id)])).retryMessages).toHaveLength(1);
    expect((await getMessage(key, row.id)).status).toBe("queued");
    await drive(QUEUES.send, [sendJob(row.id)]);
    await waitForStatus(key, row.id, "delivered");
    expect(await simulatorSubmissionsTo(row.to)).toHaveLength(1);
    expect((await history(key, row.id)).steps).toEqual(["queued", "sending", "sent", "delivered"]);
  });

  it("claim committed, then the Worker died before the hand-off: claimed again once the claim is stale, and sent once", async () => {
    const { key, tenantId } = await createTenant();
    const row = await insertQueuedMessage(tenantId, number("5555"));
    arm("claim", "after");
    expect((await drive(QUEUES.send, [sendJob(row.id)])).retryMessages).toHaveLength(1);
    // A redelivery right away finds a fresh claim and leaves it: its consumer may only be slow.
    await drive(QUEUES.send, [sendJob(row.id)]);
    expect((await getMessage(key, row.id)).status).toBe("sending");
    // Past the reclaim window the reconciler queues it again (it was never handed to a carrier), and it is sent once.
    await runCron(Date.now() + RECLAIM_UNHANDED_AFTER_MS + 1000);
    await waitForStatus(key, row.id, "delivered");
    expect(await simulatorSubmissionsTo(row.to)).toHaveLength(1);
    expect((await history(key, row.id)).steps).toEqual(["queued", "sending", "queued", "sending", "sent", "delivered"]);
  });

  it("handed to the carrier, then the Worker died: never sent blindly; the reconciler fails it (no carrier has it) and refunds it once", async () => {
    const { key, tenantId } = await fundedLiveTenant(10_000);
    const db = await dbOf(tenantId);
    const accepted = await okJson(await send(key, { to: number("5555"), body: "hello", send_at: new Date(Date.now() + 3_600_000).toISOString() }), 202);
    // Due now: dispatched by the cron into the send queue, whose consumer dies right after handing it over.
    await db.update(messages).set({ sendAt: Date.now() - 1 }).where(eq(messages.id, accepted.id));
    arm("handoff", "after");
    await runCron(Date.now());
    await vi.waitFor(async () => expect((await getMessage(key, accepted.id)).status).toBe("sending"), { timeout: 10_000 });
    // Redeliveries find it claimed and leave it: the carrier may or may not have it.
    await drive(QUEUES.send, [sendJob(accepted.id)]);
    expect((await getMessage(key, accepted.id)).status).toBe("sending");

    const later = Date.now() + RECONCILE_SENDING_AFTER_MS + 60_000;
    await Promise.all([runCron(later), runCron(later)]);
    const failed = await getMessage(key, accepted.id);
    expect(failed).toMatchObject({ status: "failed", error: { code: "submit_interrupted" } });
    await vi.waitFor(async () => expect((await getMessage(key, accepted.id)).refunded).toBe(true), { timeout: 10_000 });
    await runCron(later + 120_000);
    expect(await refunds(tenantId)).toHaveLength(1);
    expect(await simulatorSubmissionsTo(accepted.to)).toHaveLength(0);
    const { steps, notified } = await history(key, accepted.id);
    expect(steps).toEqual(["scheduled", "queued", "sending", "failed"]);
    expect(notified).toEqual(["failed"]);
  });

  it("submit, the handler throwing: a transient failure, retried, sent once", async () => {
    const { key, tenantId } = await createTenant();
    const row = await insertQueuedMessage(tenantId, number("5555"));
    arm("submit");
    expect((await drive(QUEUES.send, [sendJob(row.id)])).retryMessages).toHaveLength(1);
    expect(await getMessage(key, row.id)).toMatchObject({ status: "queued", error: { code: "carrier_error" } });
    await drive(QUEUES.send, [sendJob(row.id)]);
    await waitForStatus(key, row.id, "delivered");
    expect(await simulatorSubmissionsTo(row.to)).toHaveLength(1);
    expect((await history(key, row.id)).steps).toEqual(["queued", "sending", "queued", "sending", "sent", "delivered"]);
  });

  it("record sent, D1 failing: the carrier's answer goes to the queue and is recorded from there; receipts that came first apply", async () => {
    const { key, tenantId } = await createTenant();
    const row = await insertQueuedMessage(tenantId, number("5555"));
    arm("record_sent");
    expect((await drive(QUEUES.send, [sendJob(row.id)])).explicitAcks).toHaveLength(1);
    await waitForStatus(key, row.id, "delivered");
    expect(await simulatorSubmissionsTo(row.to)).toHaveLength(1);
    const { steps, notified } = await history(key, row.id);
    expect(steps).toEqual(["queued", "sending", "sent", "delivered"]);
    expect(notified).toEqual(["delivered", "sent"]);
  });

  it("record sent committed, then the handler threw: nothing is sent or recorded twice", async () => {
    const { key, tenantId } = await createTenant();
    const row = await insertQueuedMessage(tenantId, number("5555"));
    arm("record_sent", "after");
    await drive(QUEUES.send, [sendJob(row.id)]);
    await drive(QUEUES.send, [sendJob(row.id)]);
    await waitForStatus(key, row.id, "delivered");
    expect(await simulatorSubmissionsTo(row.to)).toHaveLength(1);
    const { steps, notified } = await history(key, row.id);
    expect(steps).toEqual(["queued", "sending", "sent", "delivered"]);
    expect(notified).toEqual(["delivered", "sent"]);
  });

  it("record sent with D1 and the fallback queue both down: the reconciler asks the carrier, records it sent, and its receipt applies", async () => {
    const { key, tenantId } = await createTenant();
    const row = await insertQueuedMessage(tenantId, number("5555"));
    const stop = observeD1((c) => {
      if (c.sql.some((s) => s.includes('INSERT INTO "message_parts"'))) throw new Error("D1_ERROR: Network connection lost.");
    });
    const queueDown = { ...env.SEND_QUEUE, send: () => Promise.reject(new Error("queue unavailable")) } as unknown as Queue;
    try {
      expect((await driveWith({ SEND_QUEUE: queueDown }, QUEUES.send, [sendJob(row.id)])).retryMessages).toHaveLength(1);
    } finally {
      stop();
    }
    expect((await getMessage(key, row.id)).status).toBe("sending");
    // The simulator's receipt comes, and waits: no submit has recorded its id.
    await vi.waitFor(async () => expect(await simulatorSubmissionsTo(row.to)).toHaveLength(1));
    await drive(QUEUES.send, [sendJob(row.id)]);
    expect((await getMessage(key, row.id)).status).toBe("sending");

    await runCron(Date.now() + RECONCILE_SENDING_AFTER_MS + 60_000);
    const message = await waitForStatus(key, row.id, "delivered");
    expect(message.events.find((e: { status: string }) => e.status === "sent").detail).toMatch(/^reconciled: simulator has it as sim_/);
    expect(await simulatorSubmissionsTo(row.to)).toHaveLength(1);
    expect((await history(key, row.id)).steps).toEqual(["queued", "sending", "sent", "delivered"]);
  });
});

describe("receipts", () => {
  it.each(["before", "after"] as const)("receipt apply failing %s its write: redelivered, applied once, one event per change", async (timing) => {
    const { key, tenantId } = await createTenant();
    const row = await insertQueuedMessage(tenantId, number("5555"));
    arm("receipt_apply", timing);
    await drive(QUEUES.send, [sendJob(row.id)]);
    await waitForStatus(key, row.id, "delivered");
    // A duplicate of the receipt, late, changes nothing either.
    const { message } = await history(key, row.id);
    await postReceipt(receiptFor(message.carrier_message_id, "delivered"));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const { steps, notified } = await history(key, row.id);
    expect(steps).toEqual(["queued", "sending", "sent", "delivered"]);
    expect(notified).toEqual(["delivered", "sent"]);
  });

  it("a receipt whose write fails leaves part and message as they were, together; the redelivery moves both", async () => {
    const { key, tenantId } = await createTenant();
    const db = await dbOf(tenantId);
    const row = await insertQueuedMessage(tenantId, number("5555"));
    let failures = 0;
    const stop = observeD1((c) => {
      if (failures === 0 && c.sql.some((s) => s.includes("UPDATE message_parts"))) {
        failures += 1;
        // Checked once the write failed: the part is still `sent`, as its message is.
        throw new Error("D1_ERROR: Network connection lost.");
      }
    });
    try {
      await drive(QUEUES.send, [sendJob(row.id)]);
      await vi.waitFor(() => expect(failures).toBe(1), { timeout: 10_000 });
      const [part] = await db.select().from(messageParts).where(eq(messageParts.messageId, row.id));
      const now = await getMessage(key, row.id);
      expect([part!.status, now.status]).toEqual(["sent", "sent"]);
      await waitForStatus(key, row.id, "delivered");
    } finally {
      stop();
    }
    const [part] = await db.select().from(messageParts).where(eq(messageParts.messageId, row.id));
    expect(part!.status).toBe("delivered");
  });
});

describe("a receipt delivered twice by the queue", () => {
  it("in one consumer batch, applies once, with one event and one stored row", async () => {
    const { key, tenantId } = await createTenant();
    const db = await dbOf(tenantId);
    const row = await insertQueuedMessage(tenantId, number("5555"));
    await drive(QUEUES.send, [sendJob(row.id)]);
    const sent = await getMessage(key, row.id);
    const receipt = receiptRow("simulator", { carrierMessageId: sent.carrier_message_id, status: "delivered", errorCode: null, carrierStatus: "delivered", carrierTime: null }, "{}");
    const job = { kind: "receipts", receipts: [receipt] };
    const result = await drive(QUEUES.receipts, [job, job]);
    expect(result.explicitAcks).toHaveLength(2);
    await waitForStatus(key, row.id, "delivered");
    expect((await history(key, row.id)).steps.filter((status) => status === "delivered")).toHaveLength(1);
    expect(await db.select().from(carrierReceipts).where(eq(carrierReceipts.id, receipt.id))).toHaveLength(1);
  });
});

describe("a receipt racing its submit", () => {
  it("is applied when the submit records its id between the receipt's look and its write", async () => {
    const { key, tenantId } = await createTenant();
    const row = await insertQueuedMessage(tenantId, number("5555"), Date.now(), "simulator", { status: "sent", carrierMessageId: "sim_race_1", parts: 1 });
    // The submit's record lands right after the receipt's look read no part for its id (a real D1, written
    // from the side, as another consumer would).
    const shard = await d1Of(tenantId);
    const racing = {
      ...shard,
      prepare: shard.prepare.bind(shard),
      batch: async (statements: D1PreparedStatement[]) => {
        const results = await shard.batch(statements);
        if (results.length === 3 && JSON.stringify(results[1]?.results) === "[]") {
          await shard.prepare("INSERT OR IGNORE INTO message_parts (carrier, carrier_key, message_id, part, status, updated_at) VALUES ('simulator', 'sim_race_1', ?, 1, 'sent', ?)")
            .bind(row.id, Date.now())
            .run();
        }
        return results;
      },
    } as unknown as D1Database;
    const results = await applyReceipts(createDb(racing), [receiptRow("simulator", { carrierMessageId: "sim_race_1", status: "delivered", errorCode: null, carrierStatus: "delivered", carrierTime: null }, "{}")], { store: true });
    expect([...results.values()]).toEqual(["applied"]);
    expect((await getMessage(key, row.id)).status).toBe("delivered");
  });
});

describe("webhook fan-out", () => {
  it.each(["before", "after"] as const)("failing %s its write: every event reaches the endpoint exactly once", async (timing) => {
    const { key } = await createTenant();
    const url = `https://hooks.example/${crypto.randomUUID()}`;
    const got: string[] = [];
    network.use(http.post(url, async ({ request }) => (got.push(((await request.json()) as { data: { status: string } }).data.status), new HttpResponse(null, { status: 204 }))));
    await okJson(await call("/v1/webhooks", { method: "POST", key, json: { url, events: ["message.status"] } }), 201);
    arm("webhook_fanout", timing);
    const accepted = await okJson(await send(key, { to: number("5555"), body: "hello" }), 202);
    await waitForStatus(key, accepted.id, "delivered");
    await vi.waitFor(() => expect(got.sort()).toEqual(["delivered", "sent"]), { timeout: 15_000 });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(got).toHaveLength(2);
  });
});

describe("refunds", () => {
  it.each(["before", "after"] as const)("a refund failing %s the meter: the redelivery finishes it, refunded exactly once", async (timing) => {
    const { key, tenantId } = await fundedLiveTenant(10_000);
    const row = await insertQueuedMessage(tenantId, number("0002"), Date.now(), "simulator", { mode: "live", price: 10_000 });
    // The charge the meter took at admission (the row was written without one).
    await meterOf(tenantId).admit({ tenantId, messageId: row.id, recipient: row.to, type: "notification", segments: 1, price: 10_000, exempt: false, sandbox: false });
    arm("refund", timing);
    expect((await drive(QUEUES.send, [sendJob(row.id)])).retryMessages).toHaveLength(1);
    expect((await getMessage(key, row.id)).status).toBe("failed");
    await drive(QUEUES.send, [sendJob(row.id)]);
    expect((await getMessage(key, row.id)).refunded).toBe(true);
    await drive(QUEUES.send, [sendJob(row.id)]);
    expect(await refunds(tenantId)).toHaveLength(1);
    expect((await okJson(await call("/v1/account", { key }), 200)).balance).toBe(10_000);
  });
});

describe("batch expansion", () => {
  it("D1 failing: the step is retried and every recipient gets one message", async () => {
    const { key } = await createTenant();
    const recipients = [number("5555"), number("5555"), number("5555")].map((to) => ({ to }));
    arm("batch_expansion");
    const batch = await createBatch(key, { type: "notification", body: "hi", recipients });
    const done = await waitForBatch(key, batch.id, (b) => b.counts.delivered === 3, { timeout: 20_000 });
    expect(done).toMatchObject({ accepted: 3, rejected: 0 });
    for (const { to } of recipients) expect(await simulatorSubmissionsTo(to)).toHaveLength(1);
  });

  it("committed, then the Worker died before enqueueing: the sweeper sends each message once", async () => {
    const { key } = await createTenant();
    const recipients = [number("5555"), number("5555")].map((to) => ({ to }));
    arm("batch_expansion", "after");
    const batch = await createBatch(key, { type: "notification", body: "hi", recipients });
    const db = await dbHolding("batches", batch.id);
    await vi.waitFor(async () => expect(await db.select().from(messages).where(eq(messages.batchId, batch.id))).toHaveLength(2), { timeout: 10_000 });
    await runCron(Date.now() + STUCK_AFTER_MS + 60_000);
    const done = await waitForBatch(key, batch.id, (b) => b.counts.delivered === 2, { timeout: 20_000 });
    expect(done).toMatchObject({ accepted: 2, rejected: 0 });
    for (const { to } of recipients) expect(await simulatorSubmissionsTo(to)).toHaveLength(1);
  });
});

describe("unknown carrier outcomes", () => {
  it("a 2xx whose body names no message is not refused: sent, unconfirmed, neither refunded nor sent again", async () => {
    await putRoute("US", [{ carrier: "twilio" }]);
    let posts = 0;
    network.use(http.post(TWILIO_MESSAGES, () => ((posts += 1), new HttpResponse("<Response/>", { status: 201 }))));
    const { key, tenantId } = await fundedLiveTenant(10_000);
    const row = await insertQueuedMessage(tenantId, number("5555"), Date.now(), "simulator", { mode: "live", from: "+14155550100", price: 10_000 });
    await drive(QUEUES.send, [sendJob(row.id)]);
    await drive(QUEUES.send, [sendJob(row.id)]);
    expect(posts).toBe(1);
    expect(await getMessage(key, row.id)).toMatchObject({ status: "sent", carrier: "twilio", error: { code: "submit_unconfirmed" }, refunded: false });
    await runCron(Date.now() + 120_000);
    expect(await refunds(tenantId)).toEqual([]);

    // Twilio's status callback, on the URL the submit gave it (naming our message), settles it.
    const fields = { AccountSid: "AC1", MessageSid: "SMadopted00000000000000000000001", MessageStatus: "delivered" };
    await receiptResult(await postTwilio(`/webhooks/twilio/status?message_id=${row.id}`, fields), "applied");
    const settled = await getMessage(key, row.id);
    expect(settled).toMatchObject({ status: "delivered", carrier: "twilio", error: null, parts: { total: 1, delivered: 1 } });
    expect(settled.events.map((e: { status: string; detail: string }) => [e.status, e.detail]).slice(-2)).toEqual([
      ["sent", "twilio receipt confirms the submit as SMadopted00000000000000000000001"],
      ["delivered", "twilio receipt: delivered"],
    ]);
  });

  it("a receipt that came while the message was stuck in sending settles it once the reconciler leaves it unconfirmed", async () => {
    await putRoute("GB", [{ carrier: "vonage" }]);
    const { key, tenantId } = await fundedLiveTenant(10_000);
    const claimedAt = Date.now() - RECONCILE_SENDING_AFTER_MS - 60_000;
    const row = await insertQueuedMessage(tenantId, ukNumber(), claimedAt, "simulator", { mode: "live", country: "GB", status: "sending", attempts: 1, price: 10_000, handedAt: claimedAt });
    // Vonage echoes our id as client-ref; no submit recorded its message id, so the receipt waits.
    const dlr = { msisdn: "447911123456", to: "Acme", messageId: "0E00000000000001", status: "delivered", "err-code": "0", "client-ref": row.id };
    await receiptResult(await postVonage("/webhooks/vonage/status", dlr), "held");
    await runCron(Date.now());
    const settled = await vi.waitFor(async () => {
      const message = await getMessage(key, row.id);
      expect(message.status).toBe("delivered");
      return message;
    });
    expect(settled).toMatchObject({ carrier: "vonage", carrier_message_id: "0E00000000000001", error: null, refunded: false });
    const { steps, notified } = await history(key, row.id);
    expect(steps).toEqual(["sending", "sent", "sent", "delivered"]);
    expect(notified).toEqual(["delivered", "sent"]);
  });

  it("a message stuck in sending at a carrier that cannot be asked: sent, unconfirmed, never sent again nor refunded", async () => {
    await putRoute("US", [{ carrier: "twilio" }]);
    let posts = 0;
    network.use(http.post(TWILIO_MESSAGES, () => ((posts += 1), HttpResponse.json({ sid: "SMnever" }, { status: 201 }))));
    const { key, tenantId } = await fundedLiveTenant(10_000);
    const claimedAt = Date.now() - RECONCILE_SENDING_AFTER_MS - 60_000;
    const row = await insertQueuedMessage(tenantId, number("5555"), claimedAt, "simulator", { mode: "live", status: "sending", attempts: 1, price: 10_000, handedAt: claimedAt });
    await runCron(Date.now());
    expect(await getMessage(key, row.id)).toMatchObject({ status: "sent", error: { code: "submit_unconfirmed" }, refunded: false });
    expect(posts).toBe(0);
    expect(await refunds(tenantId)).toEqual([]);
  });
});
