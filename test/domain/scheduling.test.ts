import { describe, expect, it } from "vitest";
import { deliveryRate, hasUnsubmitted, type StatusCounts } from "../../src/domain/batches";
import { DEFAULT_QUIET_HOURS, quietHoldUntil, zonesOf } from "../../src/domain/quiet-hours";
import { sendAtProblem, SEND_AT_PATTERN, timingOf } from "../../src/domain/schedule";
import { batchMessageId } from "../../src/lib/ids";

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const hold = (country: string | null, when: string, settings = DEFAULT_QUIET_HOURS) => iso(quietHoldUntil(country, at(when), settings));

describe("quiet hours", () => {
  it("holds a message due in the recipient's night until 08:00 local, across midnight", () => {
    // London in winter is UTC+0.
    expect(hold("GB", "2026-11-25T22:00:00Z")).toBe("2026-11-26T08:00:00.000Z");
    expect(hold("GB", "2026-11-26T07:59:00Z")).toBe("2026-11-26T08:00:00.000Z");
    expect(hold("GB", "2026-11-25T20:59:00Z")).toBeNull();
    expect(hold("GB", "2026-11-25T21:00:00Z")).toBe("2026-11-26T08:00:00.000Z");
    // Tokyo (UTC+9): 23:30 local on the 25th opens at 08:00 local on the 26th.
    expect(hold("JP", "2026-11-25T14:30:00Z")).toBe("2026-11-25T23:00:00.000Z");
    // Summer time counts: London is UTC+1 in July, so 08:00 local is 07:00 UTC.
    expect(hold("GB", "2026-07-01T06:30:00Z")).toBe("2026-07-01T07:00:00.000Z");
  });

  it("reads a country of several zones by the most conservative: quiet anywhere is quiet", () => {
    expect(zonesOf("US")).toEqual(expect.arrayContaining(["America/New_York", "Pacific/Honolulu"]));
    // 10:00 in New York is 05:00 in Honolulu (UTC-10): held until 08:00 there, 18:00 UTC.
    expect(hold("US", "2026-11-25T15:00:00Z")).toBe("2026-11-25T18:00:00.000Z");
    // 20:30 in New York, 15:30 in Honolulu: fine everywhere.
    expect(hold("US", "2026-11-26T01:30:00Z")).toBeNull();
    // 21:00 in New York: quiet there until Honolulu's morning, 18:00 UTC.
    expect(hold("US", "2026-11-26T02:00:00Z")).toBe("2026-11-26T18:00:00.000Z");
  });

  it("follows the tenant's window, and holds nothing when it is off or the country is unknown", () => {
    const lunch = { enabled: true, start: "12:00", end: "14:00" };
    expect(hold("GB", "2026-11-25T12:30:00Z", lunch)).toBe("2026-11-25T14:00:00.000Z");
    expect(hold("GB", "2026-11-25T22:00:00Z", lunch)).toBeNull();
    expect(hold("GB", "2026-11-25T22:00:00Z", { ...DEFAULT_QUIET_HOURS, enabled: false })).toBeNull();
    expect(hold(null, "2026-11-25T22:00:00Z")).toBeNull();
    expect(hold("ZZ", "2026-11-25T22:00:00Z")).toBeNull();
  });

  it("holds only marketing; OTP and notifications go when asked", () => {
    const night = at("2026-11-25T23:00:00Z");
    const now = at("2026-11-25T22:00:00Z");
    expect(timingOf({ type: "otp", country: "GB" }, null, now, DEFAULT_QUIET_HOURS)).toEqual({ sendAt: null, detail: null });
    expect(timingOf({ type: "notification", country: "GB" }, night, now, DEFAULT_QUIET_HOURS)).toEqual({
      sendAt: night,
      detail: "scheduled for 2026-11-25T23:00:00.000Z",
    });
    expect(timingOf({ type: "marketing", country: "GB" }, night, now, DEFAULT_QUIET_HOURS)).toEqual({
      sendAt: at("2026-11-26T08:00:00Z"),
      detail: "held for quiet hours (21:00–08:00 in GB) until 2026-11-26T08:00:00.000Z",
    });
  });
});

describe("send_at", () => {
  it("takes ISO 8601 with an offset only, from one minute to 30 days ahead", () => {
    expect(SEND_AT_PATTERN.test("2026-12-01T09:30:00+08:00")).toBe(true);
    expect(SEND_AT_PATTERN.test("2026-12-01T09:30:00.123Z")).toBe(true);
    expect(SEND_AT_PATTERN.test("2026-12-01T09:30:00")).toBe(false);
    expect(SEND_AT_PATTERN.test("2026-12-01")).toBe(false);
    const now = at("2026-11-25T00:00:00Z");
    expect(sendAtProblem(now + 59_000, now)).toMatch(/at least one minute/);
    expect(sendAtProblem(now + 60_000, now)).toBeNull();
    expect(sendAtProblem(now + 30 * 86_400_000, now)).toBeNull();
    expect(sendAtProblem(now + 30 * 86_400_000 + 1, now)).toMatch(/at most 30 days/);
    expect(sendAtProblem(Number.NaN, now)).toMatch(/not a valid/);
  });
});

describe("batch bookkeeping", () => {
  const counts = (c: Partial<StatusCounts>): StatusCounts => ({
    scheduled: 0, queued: 0, sending: 0, sent: 0, delivered: 0, undelivered: 0, failed: 0, canceled: 0, expired: 0, ...c,
  });

  it("rates delivery over messages with an outcome, and knows when nothing is left to submit", () => {
    expect(deliveryRate(counts({ sent: 5 }))).toBeNull();
    expect(deliveryRate(counts({ delivered: 2, undelivered: 1, canceled: 7 }))).toBe(0.6667);
    expect(hasUnsubmitted(counts({ sent: 3, delivered: 1 }))).toBe(false);
    expect(hasUnsubmitted(counts({ scheduled: 1 }))).toBe(true);
    expect(hasUnsubmitted(counts({ sending: 1 }))).toBe(true);
  });

  it("names a batch's messages the same way every time, distinct per position, in time order", () => {
    const batch = "bat_01JD4Z0Q7W3X5Y6Z7A8B9C0D1E";
    const t = at("2026-11-25T12:00:00Z");
    expect(batchMessageId(batch, 7, t)).toBe(batchMessageId(batch, 7, t));
    const ids = Array.from({ length: 2000 }, (_, i) => batchMessageId(batch, i, t));
    expect(new Set(ids).size).toBe(2000);
    expect([...ids].sort()).toEqual(ids);
    expect(batchMessageId(batch, 0, t + 1) > ids.at(-1)!).toBe(true);
    expect(batchMessageId("bat_01JD4Z0Q7W3X5Y6Z7A8B9C0XYZ", 7, t)).not.toBe(batchMessageId(batch, 7, t));
    expect(ids[0]).toMatch(/^msg_[0-9A-HJKMNP-TV-Z]{26}$/);
  });
});
