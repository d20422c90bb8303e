import { describe, expect, it } from "vitest";
import { createTenant, sendMessage } from "../helpers/api";
import { number, simulatorSubmissionsTo, waitForStatus } from "../helpers/seed";

// Send → D1 outbox → send queue → simulator → delayed receipt queue → signed webhook → final status,
// all through the real local queues.
describe("simulator outcomes end to end", () => {
  it("delivers an ordinary number and records every step", async () => {
    const { key } = await createTenant();
    const to = number("5555");
    const accepted = await sendMessage(key, { to, body: "Your code is 123456", type: "otp" });
    expect(accepted.status).toBe("queued");

    const message = await waitForStatus(key, accepted.id, "delivered");
    expect(message.carrier).toBe("simulator");
    expect(message.carrier_message_id).toMatch(/^sim_/);
    expect(message.error).toBeNull();
    expect(message.events.map((e: { status: string }) => e.status)).toEqual(["queued", "sending", "sent", "delivered"]);
    expect(await simulatorSubmissionsTo(to)).toHaveLength(1);
  });

  it("ends undelivered for numbers ending 0001, with the carrier's error", async () => {
    const { key } = await createTenant();
    const accepted = await sendMessage(key, { to: number("0001"), body: "hi" });
    const message = await waitForStatus(key, accepted.id, "undelivered");
    expect(message.error).toEqual({ code: "handset_unreachable", message: "carrier reported undelivered" });
    expect(message.events.map((e: { status: string }) => e.status)).toEqual(["queued", "sending", "sent", "undelivered"]);
  });

  it("fails at submit for numbers ending 0002, without a retry", async () => {
    const { key } = await createTenant();
    const to = number("0002");
    const accepted = await sendMessage(key, { to, body: "hi" });
    const message = await waitForStatus(key, accepted.id, "failed");
    expect(message.error.code).toBe("rejected_by_carrier");
    expect(message.carrier_message_id).toBeNull();
    expect(message.events.map((e: { status: string }) => e.status)).toEqual(["queued", "sending", "failed"]);
    expect(await simulatorSubmissionsTo(to)).toHaveLength(0);
  });

  it("stays delivered for numbers ending 0004 despite a duplicate and a stale receipt", async () => {
    const { key } = await createTenant();
    const accepted = await sendMessage(key, { to: number("0004"), body: "hi" });
    await waitForStatus(key, accepted.id, "delivered");
    // The duplicate and the stale `sent` follow the delivered receipt; give them time to land.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const message = await waitForStatus(key, accepted.id, "delivered");
    expect(message.events.map((e: { status: string }) => e.status)).toEqual(["queued", "sending", "sent", "delivered"]);
  });
});
