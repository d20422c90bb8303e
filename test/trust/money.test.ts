// Money on paths that end a message's record early: a deleted message is never refunded by the meter's
// reconciler, and a message refunded already is never refunded again (the alarm keeps running).
import { runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { RECONCILE_AFTER_MS } from "../../src/meter/tenant-meter";
import { call, okJson } from "../helpers/api";
import { account, fundedLiveTenant, ledger, meterOf, setMeterClock, waitForRefund } from "../helpers/meter";
import { number, waitForStatus } from "../helpers/seed";
import { twilio } from "../helpers/twilio-api";

const NOON = Date.UTC(2030, 5, 1, 12, 0, 0);
const PRICE = 10_000;

async function twilioCredential(key: string, keyId: string) {
  return okJson(await call(`/v1/keys/${keyId}/credentials`, { method: "POST", key, json: { api: "twilio" } }), 201);
}


describe("a deleted message keeps its charge", () => {
  it("is not refunded by the reconciler when deleted inside its window, and a refunded one is not refunded twice", async () => {
    const { tenantId, key, keyId } = await fundedLiveTenant(3 * PRICE, { unitPrice: PRICE, clock: NOON });
    const cred = await twilioCredential(key, keyId);
    const delivered = await okJson(await twilio(cred, "POST", "/Messages.json", { To: number(), Body: "delivered then deleted" }), 201);
    const rejected = await okJson(await twilio(cred, "POST", "/Messages.json", { To: number("0002"), Body: "rejected then deleted" }), 201);
    const ids = (await okJson(await call("/v1/messages?limit=2", { key }), 200)).data.map((m: { id: string }) => m.id) as string[];
    const [rejectedId, deliveredId] = ids;
    await waitForStatus(key, deliveredId!, "delivered");
    await waitForRefund(key, rejectedId!);
    expect((await account(key)).balance).toBe(2 * PRICE);

    expect((await twilio(cred, "DELETE", `/Messages/${delivered.sid}.json`)).status).toBe(204);
    expect((await twilio(cred, "DELETE", `/Messages/${rejected.sid}.json`)).status).toBe(204);

    await setMeterClock(tenantId, NOON + RECONCILE_AFTER_MS + 1000);
    expect(await runDurableObjectAlarm(meterOf(tenantId))).toBe(true);

    const entries = await ledger(tenantId);
    expect(entries.filter((e) => e.kind === "refund").map((e) => e.message_id)).toEqual([rejectedId]);
    expect((await account(key)).balance).toBe(2 * PRICE);
    expect(entries.reduce((sum, e) => sum + e.amount, 0)).toBe(2 * PRICE);
  });
});
