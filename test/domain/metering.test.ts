import { describe, expect, it } from "vitest";
import { capRefusal, firstRefusal, sendQuotas, type MeterSnapshot } from "../../src/domain/admission";
import { applyLimitsPatch, capsFor, DEFAULT_LIMITS } from "../../src/domain/limits";
import { LimitsPatch } from "../../src/routes/account/schemas";
import { rateLimitHeaders } from "../../src/domain/rate-limit-headers";
import { refill, secondsUntilAvailable, take } from "../../src/domain/token-bucket";
import { nextUtcMidnight, utcDay } from "../../src/domain/utc-day";

const T = Date.UTC(2030, 5, 1, 12, 0, 0);
const rule = { rate: 50, burst: 100 };

describe("token bucket", () => {
  it("starts full, refills at its rate and never above its burst", () => {
    const fresh = refill(null, rule, T);
    expect(fresh.tokens).toBe(100);
    const drained = take(fresh, 100);
    expect(refill(drained, rule, T + 500).tokens).toBe(25);
    expect(refill(drained, rule, T + 60_000).tokens).toBe(100);
  });

  it("does not drain when the clock steps back", () => {
    const bucket = { tokens: 10, at: T };
    expect(refill(bucket, rule, T - 5_000)).toEqual({ tokens: 10, at: T });
  });

  it("says in whole seconds, rounded up, when a token will be there", () => {
    expect(secondsUntilAvailable({ tokens: 0.5, at: T }, rule)).toBe(1);
    expect(secondsUntilAvailable({ tokens: -99, at: T }, { rate: 50, burst: 100 })).toBe(2);
    expect(secondsUntilAvailable({ tokens: 3, at: T }, rule)).toBe(0);
  });
});

function snapshot(overrides: Partial<MeterSnapshot> = {}): MeterSnapshot {
  return {
    limits: DEFAULT_LIMITS,
    requests: { tokens: 200, at: T },
    messages: { tokens: 100, at: T },
    sentToday: 0,
    recipientSends: [],
    balance: 1_000_000,
    blocked: null,
    allowlisted: false,
    ...overrides,
  };
}

describe("admission order", () => {
  const send = { type: "otp" as const, price: 50_000 };

  it("admits a send that passes every check", () => {
    expect(firstRefusal(snapshot(), send, T)).toBeNull();
  });

  it("answers with the first failing check: requests, messages, quota, caps, balance", () => {
    const allFail = snapshot({
      requests: { tokens: 0, at: T },
      messages: { tokens: 0, at: T },
      sentToday: 10_000,
      recipientSends: [T - 1000],
      balance: 0,
    });
    expect(firstRefusal(allFail, send, T)).toMatchObject({ code: "rate_limited", limit: "requests" });
    expect(firstRefusal({ ...allFail, requests: { tokens: 1, at: T } }, send, T)).toMatchObject({ code: "rate_limited", limit: "messages" });
    const quota = { ...allFail, requests: { tokens: 1, at: T }, messages: { tokens: 1, at: T } };
    expect(firstRefusal(quota, send, T)).toMatchObject({ code: "quota_exceeded", retryAfter: 12 * 3600 });
    expect(firstRefusal({ ...quota, sentToday: 0 }, send, T)).toMatchObject({ code: "recipient_frequency_capped", window: "minute" });
    expect(firstRefusal({ ...quota, sentToday: 0, recipientSends: [] }, send, T)).toEqual({
      code: "insufficient_balance",
      balance: 0,
      price: 50_000,
    });
  });

  it("puts the sandbox and the block list first, and lets a HELP answer past an opt-out", () => {
    const optedOut = snapshot({ blocked: { source: "opt_out" }, messages: { tokens: 0, at: T } });
    expect(firstRefusal(optedOut, { ...send, sandbox: true }, T)).toEqual({ code: "sandbox_recipient_not_allowed" });
    expect(firstRefusal(optedOut, send, T)).toEqual({ code: "recipient_opted_out" });
    expect(firstRefusal(snapshot({ blocked: { source: "api" } }), send, T)).toEqual({ code: "recipient_blocked" });
    expect(firstRefusal(optedOut, { ...send, exempt: true, keywordReply: true }, T)).toBeNull();
    expect(firstRefusal(snapshot({ allowlisted: true }), { ...send, sandbox: true }, T)).toBeNull();
  });

  it("never refuses an uncharged send for balance", () => {
    expect(firstRefusal(snapshot({ balance: 0 }), { ...send, price: 0 }, T)).toBeNull();
  });
});

describe("per-recipient caps", () => {
  const minute = 60_000;

  it("names the shortest window that is full, and when it frees up", () => {
    expect(capRefusal(DEFAULT_LIMITS, "otp", [T - 20_000], T)).toEqual({
      code: "recipient_frequency_capped",
      window: "minute",
      max: 1,
      retryAfter: 40,
    });
    const fiveThisHour = [50, 40, 30, 20, 10].map((m) => T - m * minute);
    expect(capRefusal(DEFAULT_LIMITS, "otp", fiveThisHour, T)).toMatchObject({ window: "hour", max: 5, retryAfter: 10 * 60 });
  });

  it("counts only sends inside each sliding window", () => {
    const old = [T - 61 * minute, T - 2 * minute];
    expect(capRefusal(DEFAULT_LIMITS, "otp", old, T)).toBeNull();
    expect(capRefusal(DEFAULT_LIMITS, "marketing", [T - 23 * 60 * minute], T)).toMatchObject({ window: "day", max: 1 });
    expect(capRefusal(DEFAULT_LIMITS, "marketing", [T - 24 * 60 * minute], T)).toBeNull();
  });

  it("decides the same from only the newest sends (as many as the largest cap) as from the whole day", () => {
    const caps = capsFor(DEFAULT_LIMITS, "otp");
    const largest = Math.max(...caps.map((c) => c.max));
    let seed = 7;
    const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (let run = 0; run < 200; run++) {
      const sends = Array.from({ length: Math.floor(random() * 40) }, () => T - Math.floor(random() * 86_400_000)).sort((a, b) => a - b);
      expect(capRefusal(DEFAULT_LIMITS, "otp", sends.slice(-largest), T)).toEqual(capRefusal(DEFAULT_LIMITS, "otp", sends, T));
    }
  });

  it("lets a null cap through without counting", () => {
    const limits = applyLimitsPatch(DEFAULT_LIMITS, { recipient_caps: { otp: { per_minute: null, per_hour: null, per_day: null } } });
    expect(capRefusal(limits, "otp", Array.from({ length: 50 }, (_, i) => T - i), T)).toBeNull();
  });
});

describe("limits", () => {
  it("changes only what a patch names", () => {
    const patched = applyLimitsPatch(DEFAULT_LIMITS, { daily_quota: 5, recipient_caps: { otp: { per_minute: 3 } } });
    expect(patched.daily_quota).toBe(5);
    expect(patched.recipient_caps.otp).toEqual({ per_minute: 3, per_hour: 5, per_day: 10 });
    expect(patched.recipient_caps.marketing).toEqual(DEFAULT_LIMITS.recipient_caps.marketing);
    expect(patched.messages_per_second).toBe(50);
  });

  it("rejects unknown fields and out-of-range values", () => {
    expect(LimitsPatch.safeParse({ daily_quota: -1 }).success).toBe(false);
    expect(LimitsPatch.safeParse({ recipient_caps: { otp: { per_week: 3 } } }).success).toBe(false);
    expect(LimitsPatch.safeParse({ burst: 3 }).success).toBe(false);
    expect(LimitsPatch.safeParse({ message_burst: 1.5 }).success).toBe(false);
  });
});

describe("RateLimit headers", () => {
  it("advertise each policy and what is left of it, in the IETF draft's structured form", () => {
    const quotas = sendQuotas(DEFAULT_LIMITS, { tokens: 42.7, at: T }, 9_000, T);
    expect(rateLimitHeaders(quotas)).toEqual({
      "RateLimit-Policy": `"messages";q=100;w=2, "daily";q=10000;w=86400`,
      RateLimit: `"messages";r=42;t=2, "daily";r=1000;t=43200`,
    });
  });

  it("are absent when there is no policy", () => {
    expect(rateLimitHeaders([])).toEqual({});
  });
});

describe("UTC days", () => {
  it("key the quota by UTC date and reset it at the next UTC midnight", () => {
    const late = Date.UTC(2030, 11, 31, 23, 59, 59);
    expect(utcDay(late)).toBe("2030-12-31");
    expect(nextUtcMidnight(late)).toBe(Date.UTC(2031, 0, 1));
    expect(nextUtcMidnight(Date.UTC(2031, 0, 1))).toBe(Date.UTC(2031, 0, 2));
  });
});
