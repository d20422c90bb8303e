import { describe, expect, it } from "vitest";
import { carrierNameFor } from "../../src/carriers/registry";
import { plannedReceipts, simulatorOutcome } from "../../src/carriers/simulator";

describe("carrier routing", () => {
  it("sends test keys to the simulator whatever the live carrier is", () => {
    expect(carrierNameFor("test", { LIVE_CARRIER: "twilio" as never })).toBe("simulator");
    expect(carrierNameFor("live", { LIVE_CARRIER: "twilio" as never })).toBe("twilio");
  });
});

describe("simulator", () => {
  it("chooses the outcome by the last four digits", () => {
    expect(["+14155550001", "+14155550002", "+14155550003", "+14155550004", "+14155550123"].map(simulatorOutcome)).toEqual([
      "undelivered",
      "rejected",
      "unavailable",
      "delivered_with_faults",
      "delivered",
    ]);
  });

  it("plans a duplicate final receipt and then a stale one for 0004", () => {
    const at = new Date("2026-11-25T12:00:00Z");
    const receipts = plannedReceipts("delivered_with_faults", "sim_1", at);
    expect(receipts.map((r) => r.status)).toEqual(["delivered", "delivered", "sent"]);
    expect(Date.parse(receipts[2]!.occurred_at)).toBeLessThan(Date.parse(receipts[0]!.occurred_at));
  });
});
