import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { RECONCILE_AFTER_MS, type TenantMeter } from "../../src/meter/tenant-meter";
import type { AdmitRequest } from "../../src/meter/types";
import { fingerprint } from "../../src/lib/fingerprint";
import { createTenant, expectProblem, okJson } from "../helpers/api";
import { account, credit, fundedLiveTenant, ledger, meterOf, send, setLimits, setMeterClock, setPrice } from "../helpers/meter";
import { number } from "../helpers/seed";

const NOON = Date.UTC(2030, 5, 1, 12, 0, 0);
const DAY = 86_400_000;

function rowCounts(tenantId: string) {
  return runInDurableObject(meterOf(tenantId), (_meter: TenantMeter, state) => {
    const count = (table: string) => state.storage.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`).one().n;
    return { sends: count("recipient_sends"), keys: count("idempotency"), days: count("daily_usage"), unconfirmed: count("unconfirmed") };
  });
}

describe("tenant meter durability", () => {
  it("keeps balance, buckets, quota, caps and idempotency keys across eviction", async () => {
    const { tenantId, key } = await createTenant("live");
    await setPrice("US", 10_000);
    await credit(tenantId, 50_000);
    await setLimits(tenantId, { message_burst: 3, daily_quota: 10 });
    await setMeterClock(tenantId, NOON);
    const to = number();
    const first = await okJson(await send(key, { to, body: "code 1", type: "otp" }, { headers: { "Idempotency-Key": "evict-1" } }), 202);
    await okJson(await send(key, { to: number(), body: "two" }), 202);

    await evictDurableObject(meterOf(tenantId));
    // A new instance, with nothing in memory: its clock is the real one again. Stop it at the same instant.
    expect(await runInDurableObject(meterOf(tenantId), (meter: TenantMeter) => meter.now())).not.toBe(NOON);
    await setMeterClock(tenantId, NOON);

    const state = await account(key);
    expect(state).toMatchObject({ balance: 30_000, limits: { message_burst: 3, daily_quota: 10 } });
    expect(state.usage.today).toMatchObject({ date: "2030-06-01", messages: 2 });
    // The cap slot survived: a second otp to the same number this minute is refused.
    await expectProblem(await send(key, { to, body: "code 2", type: "otp" }), 429, "recipient_frequency_capped");
    // So did the key: a replay answers with the first message.
    const replay = await send(key, { to, body: "code 1", type: "otp" }, { headers: { "Idempotency-Key": "evict-1" } });
    expect((await okJson(replay, 202)).id).toBe(first.id);
    // And the bucket: one of its three tokens is left.
    expect((await send(key, { to: number(), body: "three" })).status).toBe(202);
    await expectProblem(await send(key, { to: number(), body: "four" }), 429, "rate_limited");
    expect((await ledger(tenantId)).reduce((sum, e) => sum + e.amount, 0)).toBe(20_000);
  });
});

describe("tenant meter expiry", () => {
  it("deletes cap records and idempotency keys once they can no longer count, and then stops its alarm", async () => {
    const { tenantId, key } = await createTenant();
    await setMeterClock(tenantId, NOON);
    for (let i = 0; i < 3; i++) await okJson(await send(key, { to: number(), body: `n${i}` }, { headers: { "Idempotency-Key": `exp-${i}` } }), 202);
    expect(await rowCounts(tenantId)).toMatchObject({ sends: 3, keys: 3, days: 1 });

    // An alarm before the windows end keeps everything.
    await setMeterClock(tenantId, NOON + DAY - 1000);
    expect(await runDurableObjectAlarm(meterOf(tenantId))).toBe(true);
    expect(await rowCounts(tenantId)).toMatchObject({ sends: 3, keys: 3, days: 1 });

    // After the longest window, nothing of that day is left but yesterday's usage row.
    await setMeterClock(tenantId, NOON + DAY + 1000);
    expect(await runDurableObjectAlarm(meterOf(tenantId))).toBe(true);
    expect(await rowCounts(tenantId)).toEqual({ sends: 0, keys: 0, days: 1, unconfirmed: 0 });
    // With nothing left to expire, no further alarm is set.
    expect(await runDurableObjectAlarm(meterOf(tenantId))).toBe(false);

    await setMeterClock(tenantId, NOON + 3 * DAY);
    await okJson(await send(key, { to: number(), body: "later" }), 202);
    expect(await runDurableObjectAlarm(meterOf(tenantId))).toBe(true);
    expect((await rowCounts(tenantId)).days).toBe(1);
  });
});

describe("tenant meter release", () => {
  it("gives back everything an admission took when its message could not be stored", async () => {
    const { tenantId, key } = await createTenant("live");
    await credit(tenantId, 100_000);
    await setLimits(tenantId, { daily_quota: 1 });
    await setMeterClock(tenantId, NOON);
    const meter = meterOf(tenantId);
    const request: AdmitRequest = {
      tenantId,
      messageId: "msg_release_test",
      recipient: "+14155550100",
      type: "otp",
      segments: 1,
      price: 40_000,
      idempotency: { key: "rel", fingerprint: "f1" },
    };
    expect((await meter.admit(request)).outcome).toBe("admitted");
    expect((await account(key)).balance).toBe(60_000);

    await meter.release("msg_release_test");
    // Releasing twice is harmless.
    await meter.release("msg_release_test");
    const state = await account(key);
    expect(state.balance).toBe(100_000);
    expect(state.usage.today).toMatchObject({ messages: 0, spend: 0 });
    // The quota slot, the cap slot and the key are free again: the same admission passes.
    expect((await meter.admit({ ...request, messageId: "msg_release_retry" })).outcome).toBe("admitted");
    expect((await ledger(tenantId)).map((e) => [e.kind, e.amount])).toEqual([
      ["reserve", -40_000],
      ["refund", 40_000],
      ["reserve", -40_000],
      ["credit", 100_000],
    ]);
  });
});

describe("tenant meter reconciliation", () => {
  it("releases an admission whose message never reached D1, and keeps those that did", async () => {
    const { tenantId, key } = await fundedLiveTenant(30_000, { clock: NOON });
    // A real send, stored in D1 ...
    const stored = await okJson(await send(key, { to: number(), body: "stored" }), 202);
    // ... and an admission whose Worker died before its write: charged, counted, its key taken.
    const orphan = { tenantId, messageId: "msg_00000000000000000000000000", recipient: number(), type: "otp" as const, segments: 1, price: 10_000 };
    const orphanBody = { to: orphan.recipient, body: "lost", type: "otp" as const };
    expect((await meterOf(tenantId).admit({ ...orphan, idempotency: { key: "live:lost-1", fingerprint: await fingerprint(orphanBody) } })).outcome).toBe(
      "admitted",
    );
    expect((await account(key)).balance).toBe(10_000);
    // Until it is reconciled, a retry with its key hears that the first request is still in flight.
    await expectProblem(await send(key, orphanBody, { headers: { "Idempotency-Key": "lost-1" } }), 409, "idempotency_in_progress");

    // Too early: a write may still be under way.
    await setMeterClock(tenantId, NOON + 60_000);
    await runDurableObjectAlarm(meterOf(tenantId));
    expect((await account(key)).balance).toBe(10_000);

    await setMeterClock(tenantId, NOON + RECONCILE_AFTER_MS + 1000);
    expect(await runDurableObjectAlarm(meterOf(tenantId))).toBe(true);
    const state = await account(key);
    expect(state.balance).toBe(20_000);
    expect(state.usage.today).toMatchObject({ messages: 1, spend: 10_000 });
    const entries = await ledger(tenantId);
    expect(entries.filter((e) => e.kind === "refund").map((e) => e.message_id)).toEqual([orphan.messageId]);
    expect(entries.find((e) => e.kind === "reserve" && e.message_id === stored.id)).toBeDefined();
    expect(await rowCounts(tenantId)).toMatchObject({ unconfirmed: 0 });

    // The key and the cap slot are free again: the retry now goes through as a new message.
    const retried = await send(key, orphanBody, { headers: { "Idempotency-Key": "lost-1" } });
    expect(retried.status).toBe(202);
    expect(retried.headers.get("idempotent-replayed")).toBeNull();
  });
});

describe("tenant meter reconciliation on an unreachable shard", () => {
  it("refunds nothing and fails loudly when the tenant's shard is not one this Worker reaches", async () => {
    const { tenantId, key } = await fundedLiveTenant(30_000, { clock: NOON });
    await okJson(await send(key, { to: number(), body: "stored" }), 202);
    const { control } = await import("../helpers/seed");
    const { tenants } = await import("../../src/db/schema");
    const { eq } = await import("drizzle-orm");
    const [row] = await control.select({ shard: tenants.shard }).from(tenants).where(eq(tenants.id, tenantId));
    const shard = row!.shard;
    // As if SHARDS had lost the tenant's shard: its messages cannot be seen, so nothing may be taken for missing.
    await control.update(tenants).set({ shard: "SHARD_9" }).where(eq(tenants.id, tenantId));
    try {
      await setMeterClock(tenantId, NOON + RECONCILE_AFTER_MS + 1000);
      await expect(runDurableObjectAlarm(meterOf(tenantId))).rejects.toThrow(/SHARD_9 is not in SHARDS/);
      expect((await ledger(tenantId)).filter((e) => e.kind === "refund")).toEqual([]);
    } finally {
      await control.update(tenants).set({ shard }).where(eq(tenants.id, tenantId));
    }
    // The runtime retries a failed alarm; once the shard is back, the stored message is confirmed, not refunded.
    await runInDurableObject(meterOf(tenantId), (meter: TenantMeter) => meter.alarm());
    expect((await ledger(tenantId)).filter((e) => e.kind === "refund")).toEqual([]);
    expect(await rowCounts(tenantId)).toMatchObject({ unconfirmed: 0 });
  });
});

describe("tenant meter batch admission", () => {
  it("carries one chunk's caps, quota and balance from item to item, and a repeat consumes nothing", async () => {
    const { tenantId, key } = await fundedLiveTenant(35_000, { clock: NOON });
    const [twice, other, third] = [number(), number(), number()];
    const item = (n: number, recipient: string) => ({ messageId: `msg_chunk${String(n).padStart(21, "0")}`, recipient, segments: 2, price: 10_000 });
    // Marketing allows one message a day to a recipient: the second to `twice` in the same chunk is capped.
    const request = { tenantId, type: "marketing" as const, exempt: false, sandbox: false, items: [item(1, twice), item(2, twice), item(3, other), item(4, third), item(5, number())] };
    const first = await meterOf(tenantId).admitBatch(request);
    expect(first.verdicts).toEqual([
      { admitted: true },
      { admitted: false, refusal: expect.objectContaining({ code: "recipient_frequency_capped" }) },
      { admitted: true },
      { admitted: true },
    ]);
    // The balance covered three: the fourth admitted item would have taken it below zero.
    expect(first.halt).toMatchObject({ kind: "stopped", refusal: { code: "insufficient_balance", balance: 5_000 } });
    const reserves = (await ledger(tenantId)).filter((e) => e.kind === "reserve").reverse();
    expect(reserves.map((e) => [e.message_id, e.amount, e.balance])).toEqual([
      [item(1, twice).messageId, -10_000, 25_000],
      [item(3, other).messageId, -10_000, 15_000],
      [item(4, third).messageId, -10_000, 5_000],
    ]);
    expect((await account(key)).usage.today).toMatchObject({ messages: 3, segments: 6, spend: 30_000 });

    // The same chunk again, as a redelivered job asks: the admitted items answer admitted, nothing is taken twice.
    const again = await meterOf(tenantId).admitBatch({ ...request, items: request.items.slice(0, 4) });
    expect(again.verdicts.map((v) => v.admitted)).toEqual([true, false, true, true]);
    expect((await account(key)).balance).toBe(5_000);
    expect((await ledger(tenantId)).filter((e) => e.kind === "reserve")).toHaveLength(3);
    expect(await rowCounts(tenantId)).toMatchObject({ sends: 3, unconfirmed: 3 });
  });
});
