import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { messages } from "../../src/db/schema";
import { QUEUES } from "../../src/queues";
import { sweepRefunds } from "../../src/services/billing";
import { transition } from "../../src/services/transitions";
import { createTenant, getMessage, okJson } from "../helpers/api";
import { account, fundedLiveTenant, ledger, meterOf, send, waitForRefund } from "../helpers/meter";
import { drive, sendJob } from "../helpers/queues";
import { postReceipt, receiptFor, receiptResult } from "../helpers/receipts";
import { dbOf, insertQueuedMessage, number, waitForStatus } from "../helpers/seed";

const PRICE = 10_000;

const liveTenantWithCredit = (amount: number) => fundedLiveTenant(amount, { unitPrice: PRICE });

const refunds = async (tenantId: string) => (await ledger(tenantId)).filter((e) => e.kind === "refund");

/** A charged message, reserved in the meter and stored as the API stores it, with no send job. */
async function chargedMessage(tenantId: string, to: string) {
  const row = await insertQueuedMessage(tenantId, to, Date.now(), "simulator", { mode: "live", price: PRICE });
  const verdict = await meterOf(tenantId).admit({ tenantId, messageId: row.id, recipient: to, type: "notification", segments: 1, price: PRICE });
  expect(verdict.outcome).toBe("admitted");
  return row;
}

describe("refunds", () => {
  it("refunds a message the carrier rejected exactly once, across redeliveries, the dead-letter queue and the sweeper", async () => {
    const { tenantId, key } = await liveTenantWithCredit(PRICE);
    const db = await dbOf(tenantId);
    const accepted = await okJson(await send(key, { to: number("0002"), body: "rejected at submit" }), 202);
    expect((await account(key)).balance).toBe(0);

    const failed = await waitForRefund(key, accepted.id);
    expect(failed).toMatchObject({ status: "failed", price: PRICE, refunded: true, error: { code: "rejected_by_carrier" } });
    expect((await account(key)).balance).toBe(PRICE);

    // As if the worker had died after the meter refunded but before D1 recorded it: every path tries again.
    await db.update(messages).set({ refundedAt: null }).where(eq(messages.id, accepted.id));
    await Promise.all([
      drive(QUEUES.send, [sendJob(accepted.id)]),
      drive(QUEUES.send, [sendJob(accepted.id)]),
      drive(QUEUES.sendDeadLetter, [sendJob(accepted.id)]),
    ]);
    await sweepRefunds(env, db, Date.now() + 5 * 60_000);

    expect((await getMessage(key, accepted.id)).refunded).toBe(true);
    expect((await account(key)).balance).toBe(PRICE);
    expect(await refunds(tenantId)).toHaveLength(1);
    const entries = await ledger(tenantId);
    expect(entries.reduce((sum, e) => sum + e.amount, 0)).toBe(PRICE);
  });

  it("refunds a message whose send job was dead-lettered before it was submitted", async () => {
    const { tenantId, key } = await liveTenantWithCredit(PRICE);
    const row = await chargedMessage(tenantId, number("5555"));
    expect((await account(key)).balance).toBe(0);
    await drive(QUEUES.sendDeadLetter, [sendJob(row.id)]);
    await drive(QUEUES.sendDeadLetter, [sendJob(row.id)]);
    expect(await getMessage(key, row.id)).toMatchObject({ status: "failed", refunded: true, error: { code: "dead_lettered" } });
    expect((await account(key)).balance).toBe(PRICE);
    expect(await refunds(tenantId)).toHaveLength(1);
  });

  it("lets the sweeper finish a refund that a crash left undone", async () => {
    const { tenantId, key } = await liveTenantWithCredit(PRICE);
    const db = await dbOf(tenantId);
    const row = await chargedMessage(tenantId, number("5555"));
    // Failed, with nobody left to refund it.
    await transition(db, row.id, "failed", { fields: { errorCode: "no_route", errorMessage: "gone" } });

    // Not before its grace period: the path that failed it may still be at work.
    expect(await sweepRefunds(env, db, Date.now())).toBe(0);
    expect(await sweepRefunds(env, db, Date.now() + 2 * 60_000)).toBe(1);
    expect(await sweepRefunds(env, db, Date.now() + 3 * 60_000)).toBe(0);
    expect((await getMessage(key, row.id)).refunded).toBe(true);
    expect((await account(key)).balance).toBe(PRICE);
  });

  it("never refunds a message that reached the carrier, whatever receipts and redeliveries follow", async () => {
    const { tenantId, key } = await liveTenantWithCredit(PRICE);
    const db = await dbOf(tenantId);
    const accepted = await okJson(await send(key, { to: number("0001"), body: "handset off" }), 202);
    const undelivered = await waitForStatus(key, accepted.id, "undelivered");

    await receiptResult(await postReceipt(receiptFor(undelivered.carrier_message_id, "undelivered")), "ignored");
    await drive(QUEUES.send, [sendJob(accepted.id)]);
    await drive(QUEUES.sendDeadLetter, [sendJob(accepted.id)]);
    await sweepRefunds(env, db, Date.now() + 5 * 60_000);

    expect(await getMessage(key, accepted.id)).toMatchObject({ status: "undelivered", refunded: false });
    expect((await account(key)).balance).toBe(0);
    expect(await refunds(tenantId)).toEqual([]);
  });

  it("never charges or refunds test-key messages", async () => {
    const { tenantId, key } = await createTenant("test");
    const accepted = await okJson(await send(key, { to: number("0002"), body: "test" }), 202);
    expect(accepted.price).toBe(0);
    await waitForStatus(key, accepted.id, "failed");
    await drive(QUEUES.sendDeadLetter, [sendJob(accepted.id)]);
    expect(await ledger(tenantId)).toEqual([]);
  });
});
