import { eq } from "drizzle-orm";
import { http, HttpResponse } from "msw";
import { describe, expect, it, vi } from "vitest";
import { carrierHealth } from "../../src/db/schema";
import { BREAKER_THRESHOLD } from "../../src/domain/circuit-breaker";
import { QUEUES } from "../../src/queues";
import { ADMIN, call, createTenant, getMessage, okJson } from "../helpers/api";
import { putRoute, TWILIO_MESSAGES, twilioAccepts, twilioFails, ukNumber, VONAGE_SMS, vonageAccepts } from "../helpers/carriers";
import { account, fundedLiveTenant, ledger, send, waitForRefund } from "../helpers/meter";
import { mockNetwork } from "../helpers/network";
import { drive, sendJob } from "../helpers/queues";
import { control as db, insertQueuedMessage } from "../helpers/seed";

const network = mockNetwork();

/** A live message to the UK waiting for its send job (routed by the GB route). */
async function queuedLive(tenantId: string) {
  return insertQueuedMessage(tenantId, ukNumber(), Date.now(), "simulator", { mode: "live", country: "GB", from: "Acme" });
}

const carriers = async () => (await okJson(await call("/v1/admin/carriers", { headers: ADMIN }), 200)).data as { carrier: string; circuit: string; consecutive_failures: number }[];
const circuitOf = async (carrier: string) => (await carriers()).find((c) => c.carrier === carrier)!;
const resetBreakers = () => db.delete(carrierHealth);

/** Counts the requests each carrier API receives. */
function counting(handler: ReturnType<typeof http.post>, url: string) {
  const seen = { count: 0 };
  network.use(http.post(url, () => void (seen.count += 1)), handler);
  return seen;
}

describe("failover between carriers", () => {
  it("retries a transient failure at the next carrier of the route, and the events show each attempt and carrier", async () => {
    await resetBreakers();
    await putRoute("GB", [{ carrier: "twilio" }, { carrier: "vonage" }]);
    network.use(twilioFails(503, 20503, "Service Unavailable"), vonageAccepts("0D00000001"));
    const { key, tenantId } = await createTenant("live");
    const row = await queuedLive(tenantId);

    const first = await drive(QUEUES.send, [sendJob(row.id)]);
    expect(first.retryDelays).toEqual([1]);
    const waiting = await getMessage(key, row.id);
    expect(waiting).toMatchObject({ status: "queued", carrier: "twilio", error: { code: "carrier_unavailable" } });

    const second = await drive(QUEUES.send, [sendJob(row.id)]);
    expect(second.explicitAcks).toHaveLength(1);
    const sent = await getMessage(key, row.id);
    expect(sent).toMatchObject({ status: "sent", carrier: "vonage", carrier_message_id: "0D00000001", error: null });
    expect(sent.events.map((e: { status: string; detail: string }) => [e.status, e.detail])).toEqual([
      ["queued", null],
      ["sending", null],
      ["queued", "attempt 1 via twilio failed (carrier_unavailable: Twilio 503 20503: Service Unavailable); retrying via vonage in 1s"],
      ["sending", null],
      ["sent", "attempt 2 via vonage: accepted as 0D00000001"],
    ]);
  });

  it("starts with the route's weighted carriers in proportion", async () => {
    await resetBreakers();
    await putRoute("GB", [{ carrier: "twilio", weight: 1 }, { carrier: "vonage", weight: 1 }]);
    network.use(twilioAccepts("SMw"), vonageAccepts("0Ew"));
    const { key, tenantId } = await createTenant("live");
    const rows = await Promise.all(Array.from({ length: 40 }, () => queuedLive(tenantId)));
    await drive(QUEUES.send, rows.map((r) => sendJob(r.id)));
    const used = await Promise.all(rows.map(async (r) => (await getMessage(key, r.id)).carrier));
    expect(used.filter((c) => c === "twilio").length).toBeGreaterThan(8);
    expect(used.filter((c) => c === "vonage").length).toBeGreaterThan(8);
  });
});

describe("the carrier's view", () => {
  it("is handed the body in clear, opened from its sealed row", async () => {
    // +44 7911 numbers are Guernsey's by libphonenumber.
    await putRoute("GG", [{ carrier: "twilio" }]);
    const { key } = await fundedLiveTenant(100_000);
    const bodies: string[] = [];
    network.use(http.post(TWILIO_MESSAGES, async ({ request }) => (bodies.push(new URLSearchParams(await request.text()).get("Body")!), HttpResponse.json({ sid: "SMclear", status: "queued" }, { status: 201 }))));
    const accepted = await okJson(await send(key, { to: ukNumber(), body: "Your code is 864209" }), 202);
    await vi.waitFor(async () => {
      await drive(QUEUES.send, [sendJob(accepted.id)]);
      expect(bodies).toEqual(["Your code is 864209"]);
    });
  });
});

describe("circuit breaker", () => {
  it("opens after 5 consecutive failures, skips the carrier while open, and closes after a successful probe", async () => {
    await resetBreakers();
    await putRoute("GB", [{ carrier: "twilio" }, { carrier: "vonage" }]);
    const { key, tenantId } = await createTenant("live");
    network.use(vonageAccepts("0F00000001"));
    const twilio = counting(twilioFails(500, 20500, "Internal Server Error"), TWILIO_MESSAGES);

    for (let i = 0; i < 5; i += 1) await drive(QUEUES.send, [sendJob((await queuedLive(tenantId)).id)]);
    expect(twilio.count).toBe(5);
    expect(await circuitOf("twilio")).toMatchObject({ circuit: "open", consecutive_failures: 5 });

    // While open, a new message's first try goes straight to the next carrier.
    const skipped = await queuedLive(tenantId);
    await drive(QUEUES.send, [sendJob(skipped.id)]);
    expect(twilio.count).toBe(5);
    expect(await getMessage(key, skipped.id)).toMatchObject({ status: "sent", carrier: "vonage" });

    // The cool-down ends; Twilio has recovered. Of two messages sent at once, exactly one probes it.
    await db.update(carrierHealth).set({ openUntil: Date.now() - 1 }).where(eq(carrierHealth.carrier, "twilio"));
    expect((await circuitOf("twilio")).circuit).toBe("half_open");
    const recovered = counting(twilioAccepts("SMprobe"), TWILIO_MESSAGES);
    const pair = [await queuedLive(tenantId), await queuedLive(tenantId)];
    await drive(QUEUES.send, pair.map((r) => sendJob(r.id)));
    expect(recovered.count).toBe(1);
    expect((await Promise.all(pair.map(async (r) => (await getMessage(key, r.id)).carrier))).sort()).toEqual(["twilio", "vonage"]);
    expect(await circuitOf("twilio")).toMatchObject({ circuit: "closed", consecutive_failures: 0 });
  });

  it("counts only carrier faults: a tenant's message without a sender, or with a sender the carrier refuses, opens no circuit", async () => {
    await resetBreakers();
    const { tenantId } = await createTenant("live");
    const tryEach = async (from: string | null) => {
      for (let i = 0; i < BREAKER_THRESHOLD + 1; i += 1) {
        const row = await insertQueuedMessage(tenantId, ukNumber(), Date.now(), "simulator", { mode: "live", country: "GB", from });
        await drive(QUEUES.send, [sendJob(row.id)]);
      }
    };
    // Vonage refuses a message with no sender before any request is made.
    await putRoute("GB", [{ carrier: "vonage" }]);
    await tryEach(null);
    expect(await circuitOf("vonage")).toMatchObject({ circuit: "closed", consecutive_failures: 0 });
    // Twilio refuses this tenant's sender: about the tenant, not the carrier.
    await putRoute("GB", [{ carrier: "twilio" }]);
    const twilio = counting(twilioFails(400, 21606, "The From phone number is not a valid, SMS-capable inbound phone number"), TWILIO_MESSAGES);
    await tryEach("Acme");
    expect(twilio.count).toBe(BREAKER_THRESHOLD + 1);
    expect(await circuitOf("twilio")).toMatchObject({ circuit: "closed", consecutive_failures: 0 });
  });

  it("waits, backing off, when every carrier of the route is cooling down", async () => {
    await resetBreakers();
    await putRoute("GB", [{ carrier: "twilio" }]);
    await db.insert(carrierHealth).values({ carrier: "twilio", failures: 5, openUntil: Date.now() + 30_000, updatedAt: Date.now() });
    const twilio = counting(twilioAccepts("SMnever"), TWILIO_MESSAGES);
    const { key, tenantId } = await createTenant("live");
    const row = await queuedLive(tenantId);
    const result = await drive(QUEUES.send, [sendJob(row.id)]);
    expect(result.retryDelays).toEqual([5]);
    expect(twilio.count).toBe(0);
    expect(await getMessage(key, row.id)).toMatchObject({ status: "queued", error: { code: "no_carrier_available" } });
  });

  it("reopens the circuit when the probe fails", async () => {
    await resetBreakers();
    await putRoute("GB", [{ carrier: "twilio" }, { carrier: "vonage" }]);
    await db.insert(carrierHealth).values({ carrier: "twilio", failures: 5, openUntil: Date.now() - 1, updatedAt: Date.now() });
    network.use(twilioFails(503, 20503, "Service Unavailable"), vonageAccepts("0G00000001"));
    const { tenantId } = await createTenant("live");
    await drive(QUEUES.send, [sendJob((await queuedLive(tenantId)).id)]);
    expect(await circuitOf("twilio")).toMatchObject({ circuit: "open", consecutive_failures: 6 });
  });
});

describe("permanent failures and exhausted retries", () => {
  it("fails a message at once on a permanent carrier error, with our code, refunded once", async () => {
    await resetBreakers();
    await putRoute("US", [{ carrier: "twilio" }, { carrier: "vonage" }]);
    const vonage = counting(vonageAccepts("never"), VONAGE_SMS);
    network.use(twilioFails(400, 21614, "'To' number is not a valid mobile number"));
    const { key, tenantId } = await fundedLiveTenant(10_000, { unitPrice: 10_000 });
    const accepted = await okJson(await send(key, { to: "+14155550123", body: "hello", from: undefined }), 202);
    const failed = await waitForRefund(key, accepted.id);
    expect(failed).toMatchObject({ status: "failed", carrier: "twilio", error: { code: "number_not_sms_capable" } });
    expect(vonage.count).toBe(0);
    // Redeliveries and the dead-letter queue refund nothing more.
    await drive(QUEUES.send, [sendJob(accepted.id)]);
    await drive(QUEUES.sendDeadLetter, [sendJob(accepted.id)]);
    expect((await ledger(tenantId)).filter((e) => e.kind === "refund")).toHaveLength(1);
    expect((await account(key)).balance).toBe(10_000);
  });

  it("fails a message whose every try failed transiently, after trying each carrier in turn", async () => {
    await resetBreakers();
    await putRoute("GB", [{ carrier: "twilio" }, { carrier: "vonage" }]);
    network.use(twilioFails(503, 20503, "down"), http.post(VONAGE_SMS, () => HttpResponse.json({ "message-count": "1", messages: [{ status: "5", "error-text": "Internal Error" }] })));
    const { key, tenantId } = await createTenant("live");
    const row = await queuedLive(tenantId);
    for (let i = 0; i < 5; i += 1) await drive(QUEUES.send, [sendJob(row.id)]);
    const failed = await getMessage(key, row.id);
    expect(failed).toMatchObject({ status: "failed", error: { code: "carrier_unavailable" } });
    expect(failed.error.message).toMatch(/gave up after 5 attempts/);
    const vias = failed.events.filter((e: { status: string }) => e.status !== "sending").map((e: { detail: string | null }) => e.detail?.match(/via (\w+)/)?.[1]);
    expect(vias).toEqual([undefined, "twilio", "vonage", "twilio", "vonage", "twilio"]);
  });
});
