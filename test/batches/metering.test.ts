import { describe, expect, it } from "vitest";
import { call, liveKeyOf, createTenant, expectProblem, okJson, sendMessage, liveKeyFor } from "../helpers/api";
import { batchMessages, createBatch, expanded, getBatch, waitForBatch } from "../helpers/batches";
import { account, fundedLiveTenant, ledger, meterOf, setLimits, setMeterClock } from "../helpers/meter";
import { number } from "../helpers/seed";

const enc = encodeURIComponent;

describe("batch expansion through the meter", () => {
  it("rejects blocked, opted-out and capped recipients by index and sends the rest", async () => {
    const { key, tenantId } = await createTenant();
    const [ok, blocked, optedOut, capped] = [number(), number(), number(), number()];
    await okJson(await call(`/v1/blocklist/${enc(blocked)}`, { method: "PUT", key: await liveKeyOf(tenantId) }), 201);
    await meterOf(tenantId).optOut(optedOut, "STOP");
    // Marketing allows one message a day to a recipient: this one had it.
    await sendMessage(key, { to: capped, body: "Sale! Reply STOP to opt out", type: "marketing" });

    const batch = await createBatch(key, {
      type: "marketing",
      body: "Sale! Reply STOP to opt out",
      recipients: [{ to: ok }, { to: blocked }, { to: optedOut }, { to: capped }],
    });
    expect(batch.rejected).toBe(0);
    const done = await waitForBatch(key, batch.id, expanded);
    expect(done).toMatchObject({ total: 4, accepted: 1, rejected: 3, stopped: null });
    expect(done.rejects.map((r: any) => [r.index, r.to, r.code])).toEqual([
      [1, blocked, "recipient_blocked"],
      [2, optedOut, "recipient_opted_out"],
      [3, capped, "recipient_frequency_capped"],
    ]);
    expect((await batchMessages(key, batch.id)).map((m) => m.to)).toEqual([ok]);
    const rejects = await okJson(await call(`/v1/batches/${batch.id}/rejects?limit=2`, { key }), 200);
    expect(rejects.data.map((r: any) => r.index)).toEqual([1, 2]);
    const rest = await okJson(await call(`/v1/batches/${batch.id}/rejects?limit=2&cursor=${rejects.next_cursor}`, { key }), 200);
    expect(rest).toMatchObject({ data: [{ index: 3 }], next_cursor: null });
  });

  it("paces expansion to the tenant's message rate: messages wait, none is refused", async () => {
    const { key, tenantId } = await createTenant();
    await setLimits(tenantId, { messages_per_second: 5, message_burst: 5 });
    const t0 = Date.now();
    await setMeterClock(tenantId, t0);
    const recipients = Array.from({ length: 12 }, () => ({ to: number() }));
    const batch = await createBatch(key, { type: "notification", body: "Your statement is ready", recipients });

    // The meter's clock stands still, so only the burst is admitted, however often the batch looks again.
    await waitForBatch(key, batch.id, (b) => b.accepted === 5);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await getBatch(key, batch.id)).toMatchObject({ status: "expanding", accepted: 5, rejected: 0 });

    await setMeterClock(tenantId, t0 + 1000);
    await waitForBatch(key, batch.id, (b) => b.accepted === 10);
    await setMeterClock(tenantId, t0 + 2000);
    const done = await waitForBatch(key, batch.id, expanded);
    expect(done).toMatchObject({ accepted: 12, rejected: 0, rejects: [] });
  });

  it("stops when the balance runs out, rejecting the rest with the reason on the batch", async () => {
    const { key, tenantId } = await fundedLiveTenant(35_000, { unitPrice: 10_000 });
    const recipients = Array.from({ length: 6 }, () => ({ to: number() }));
    const batch = await createBatch(key, { type: "notification", body: "Your statement is ready", recipients });
    const done = await waitForBatch(key, batch.id, expanded);
    expect(done).toMatchObject({ total: 6, accepted: 3, rejected: 3, stopped: { code: "insufficient_balance" } });
    expect(done.stopped.detail).toMatch(/balance is 5000/);
    expect(done.rejects).toEqual([]);
    expect((await account(key)).balance).toBe(5_000);
    expect((await ledger(tenantId)).filter((e) => e.kind === "reserve")).toHaveLength(3);
  });

  it("stops when the daily quota runs out", async () => {
    const { key, tenantId } = await createTenant();
    await setLimits(tenantId, { daily_quota: 2 });
    const batch = await createBatch(key, { type: "notification", body: "hi", recipients: [{ to: number() }, { to: number() }, { to: number() }] });
    const done = await waitForBatch(key, batch.id, expanded);
    expect(done).toMatchObject({ accepted: 2, rejected: 1, stopped: { code: "quota_exceeded" } });
  });
});

describe("POST /v1/batches/{id}/cancel", () => {
  it("cancels a scheduled batch before it expands; again answers the same; nothing is sent", async () => {
    const { key } = await createTenant();
    const batch = await createBatch(key, {
      type: "notification",
      body: "hi",
      recipients: [{ to: number() }],
      send_at: new Date(Date.now() + 3_600_000).toISOString(),
    });
    expect(batch.status).toBe("scheduled");
    const canceled = await okJson(await call(`/v1/batches/${batch.id}/cancel`, { method: "POST", key }), 200);
    expect(canceled).toMatchObject({ status: "canceled", accepted: 0 });
    expect(canceled.canceled_at).toBeTruthy();
    const again = await okJson(await call(`/v1/batches/${batch.id}/cancel`, { method: "POST", key }), 200);
    expect(again).toMatchObject({ status: "canceled", canceled_at: canceled.canceled_at });
    expect(await batchMessages(key, batch.id)).toEqual([]);
  });

  it("stops a batch mid-expansion: nothing more is expanded once it is canceled", async () => {
    const { key, tenantId } = await createTenant();
    await setLimits(tenantId, { messages_per_second: 2, message_burst: 2 });
    const t0 = Date.now();
    await setMeterClock(tenantId, t0);
    const batch = await createBatch(key, { type: "notification", body: "hi", recipients: Array.from({ length: 6 }, () => ({ to: number() })) });
    await waitForBatch(key, batch.id, (b) => b.accepted === 2);
    const canceled = await okJson(await call(`/v1/batches/${batch.id}/cancel`, { method: "POST", key }), 200);
    expect(canceled.status).toBe("canceled");
    await setMeterClock(tenantId, t0 + 60_000);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(await getBatch(key, batch.id)).toMatchObject({ status: "canceled", accepted: 2 });
    expect(await batchMessages(key, batch.id)).toHaveLength(2);
  });

  it("cancels every message no carrier has yet and refunds each, once, however often it is called", async () => {
    const { key, tenantId } = await fundedLiveTenant(1_000_000);
    // Quiet hours around now in Japan hold the batch's marketing as `scheduled`: sent, but not yet submitted.
    const quarter = 15 * 60_000;
    const now = Math.floor(Date.now() / quarter) * quarter;
    const tokyo = (ms: number) => new Date(ms + 9 * 3_600_000).toISOString().slice(11, 16);
    await okJson(await call("/v1/account/quiet-hours", { method: "PUT", key: await liveKeyFor(key), json: { enabled: true, start: tokyo(now - 3_600_000), end: tokyo(now + 3_600_000) } }), 200);
    const recipients = ["+819012345601", "+819012345602", "+819012345603"].map((to) => ({ to }));
    const batch = await createBatch(key, { type: "marketing", body: "Sale. Reply STOP to opt out", recipients });
    const sending = await waitForBatch(key, batch.id, expanded);
    expect(sending).toMatchObject({ status: "sending", accepted: 3, counts: { scheduled: 3 } });
    const charged = (await account(key)).balance;
    expect(charged).toBeLessThan(1_000_000);

    // Two cancels at once: both answer the canceled batch, and each message is refunded once.
    const answers = await Promise.all([1, 2].map(() => call(`/v1/batches/${batch.id}/cancel`, { method: "POST", key })));
    for (const answer of answers) expect((await okJson(answer, 200)).status).toBe("canceled");
    const after = await getBatch(key, batch.id);
    expect(after.counts).toMatchObject({ scheduled: 0, canceled: 3 });
    expect((await batchMessages(key, batch.id)).every((m) => m.refunded && m.status === "canceled")).toBe(true);
    expect((await account(key)).balance).toBe(1_000_000);
    expect((await ledger(tenantId)).filter((e) => e.kind === "refund")).toHaveLength(3);
  });

  it("answers 409 for a completed batch", async () => {
    const { key } = await createTenant();
    const batch = await createBatch(key, { type: "notification", body: "hi", recipients: [{ to: number() }] });
    await waitForBatch(key, batch.id, (b) => b.status === "completed");
    const problem = await expectProblem(await call(`/v1/batches/${batch.id}/cancel`, { method: "POST", key }), 409, "not_cancelable");
    expect(problem.detail).toMatch(/completed/);
  });
});
