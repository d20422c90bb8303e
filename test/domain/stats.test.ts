import { describe, expect, it } from "vitest";
import { DAY_MS, HOUR_MS, latencyBucket, localDay, localDayStart, metricsOf, offsetSpans, percentile } from "../../src/domain/stats";

describe("latency buckets and percentiles", () => {
  it("puts a latency in the first bucket whose upper edge holds it", () => {
    expect(latencyBucket(0)).toBe(0);
    expect(latencyBucket(1000)).toBe(0);
    expect(latencyBucket(1001)).toBe(1);
    expect(latencyBucket(4 * DAY_MS)).toBe(17);
  });

  it("reports the upper edge of the bucket holding the nearest-rank quantile", () => {
    // 10 messages: 5 within 1 s, 4 within 2 s, 1 within 60 s.
    const histogram = [5, 4, 0, 0, 0, 0, 0, 1];
    expect(percentile(histogram, 0.5)).toBe(1000);
    expect(percentile(histogram, 0.9)).toBe(2000);
    expect(percentile(histogram, 0.95)).toBe(60_000);
    expect(percentile([], 0.5)).toBeNull();
  });
});

describe("metricsOf", () => {
  it("adds cells up, with the delivery rate over finished messages only", () => {
    const m = metricsOf([
      { status: "delivered", latencyBucket: 2, messages: 6, segments: 6, cost: 600, sent: 6 },
      { status: "undelivered", latencyBucket: -1, messages: 1, segments: 2, cost: 200, sent: 1 },
      { status: "failed", latencyBucket: -1, messages: 1, segments: 1, cost: 0, sent: 0 },
      { status: "queued", latencyBucket: -1, messages: 3, segments: 3, cost: 300, sent: 0 },
      { status: "canceled", latencyBucket: -1, messages: 2, segments: 2, cost: 0, sent: 0 },
    ]);
    expect(m).toMatchObject({ submitted: 13, sent: 7, delivered: 6, undelivered: 1, failed: 1, pending: 3, canceled: 2, segments: 14, cost: 1100 });
    expect(m.delivery_rate).toBe(6 / 8);
    expect(m.latency_p50_ms).toBe(3000);
    expect(metricsOf([]).delivery_rate).toBeNull();
  });
});

describe("local days", () => {
  it("finds the daylight-saving change inside a range, to the hour", () => {
    // New York left daylight time at 06:00 UTC on 1 November 2026.
    const from = Date.UTC(2026, 9, 30) / HOUR_MS;
    const spans = offsetSpans("America/New_York", from, from + 5 * 24);
    expect(spans).toEqual([
      { fromHour: from, offsetMinutes: -240 },
      { fromHour: Date.UTC(2026, 10, 1, 6) / HOUR_MS, offsetMinutes: -300 },
    ]);
  });

  it("starts a half-hour zone's day at the first whole hour after local midnight", () => {
    const day = Date.UTC(2026, 10, 29) / DAY_MS;
    // Kolkata is UTC+5:30: local midnight is 18:30 UTC the day before; the 18:00 hour counts in the day before.
    expect(new Date(localDayStart(day, 330)).toISOString()).toBe("2026-11-28T19:00:00.000Z");
    expect(localDay(Date.UTC(2026, 10, 28, 18) / HOUR_MS, 330)).toBe(day - 1);
    expect(localDay(Date.UTC(2026, 10, 28, 19) / HOUR_MS, 330)).toBe(day);
  });
});
