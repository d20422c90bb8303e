import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { ADMIN, call, createTenant, expectProblem, okJson } from "../helpers/api";
import { account, credit, fundedLiveTenant, ledger, send, setLimits, setMeterClock, setPrice, dryRun } from "../helpers/meter";
import { d1Of, number } from "../helpers/seed";

// A fixed instant, noon UTC, for meters whose clock a test stops.
const NOON = Date.UTC(2030, 5, 1, 12, 0, 0);
const SECOND = 1000;
const MINUTE = 60 * SECOND;

describe("balance and prices", () => {
  it("reserves price × segments for live sends, shows it on the message, and never charges test keys", async () => {
    const { tenantId, key } = await createTenant("live");
    await setPrice("US", 20_000);
    await credit(tenantId, 1_000_000, "welcome credit");

    const twoSegments = await okJson(await send(key, { to: number(), body: "a".repeat(161) }), 202);
    expect(twoSegments).toMatchObject({ segments: 2, price: 40_000, currency: "USD", refunded: false });

    const testKey = await okJson(await call(`/v1/admin/tenants/${tenantId}/keys`, { method: "POST", headers: ADMIN, json: { mode: "test" } }), 201);
    expect(await okJson(await send(testKey.key, { to: number(), body: "free" }), 202)).toMatchObject({ price: 0 });

    const state = await account(key);
    expect(state).toMatchObject({ tenant_id: tenantId, balance: 960_000, currency: "USD", metered: true });
    expect(state.usage.today).toMatchObject({ messages: 2, segments: 3, spend: 40_000, quota_remaining: 9_998 });
    expect((await ledger(tenantId)).map((e) => [e.kind, e.amount, e.balance])).toEqual([
      ["reserve", -40_000, 960_000],
      ["credit", 1_000_000, 1_000_000],
    ]);
  });

  it("prices a country without a price of its own at the default", async () => {
    const { tenantId, key } = await createTenant("live");
    await setPrice("default", 30_000);
    await setPrice("CN", 7_000);
    await credit(tenantId, 100_000);
    expect(await okJson(await send(key, { to: "+447400123456", body: "hi" }), 202)).toMatchObject({ country: "GB", price: 30_000 });
    expect(await okJson(await send(key, { to: "13800138000", country: "CN", body: "hi" }), 202)).toMatchObject({ price: 7_000 });

    const list = await okJson(await call("/v1/admin/prices", { headers: ADMIN }), 200);
    expect(list.data).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ country: "CN", unit_price: 7_000, currency: "USD" }),
        expect.objectContaining({ country: "default", unit_price: 30_000 }),
      ]),
    );
  });

  it("refuses a send the balance cannot cover with 402, and writes and charges nothing", async () => {
    const { tenantId, key } = await createTenant("live");
    await setPrice("US", 20_000);
    await credit(tenantId, 19_999);
    const problem = await expectProblem(await send(key, { to: number(), body: "hi" }), 402, "insufficient_balance");
    expect(problem).toMatchObject({ balance: 19_999, price: 20_000, currency: "USD" });
    expect((await okJson(await call("/v1/messages", { key }), 200)).data).toEqual([]);
    expect((await account(key)).usage.today.messages).toBe(0);
    expect(await ledger(tenantId)).toHaveLength(1);
  });

  it("admits exactly as many concurrent sends as the balance covers, and never goes below zero", async () => {
    const { tenantId, key } = await createTenant("live");
    await setPrice("US", 10_000);
    await credit(tenantId, 7 * 10_000);

    const responses = await Promise.all(Array.from({ length: 20 }, () => send(key, { to: number(), body: "race" })));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 202)).toHaveLength(7);
    expect(statuses.filter((s) => s === 402)).toHaveLength(13);
    for (const r of responses) await r.body?.cancel();

    expect((await account(key)).balance).toBe(0);
    const entries = await ledger(tenantId);
    expect(entries.filter((e) => e.kind === "reserve")).toHaveLength(7);
    expect(entries.reduce((sum, e) => sum + e.amount, 0)).toBe(0);
    expect(entries.every((e) => e.balance >= 0)).toBe(true);
    expect((await okJson(await call("/v1/messages?limit=100", { key }), 200)).data).toHaveLength(7);
  });
});

describe("rate limits", () => {
  it("admits a burst up to the bucket, answers the rest 429 with Retry-After, and admits again after it", async () => {
    const { tenantId, key } = await createTenant();
    await setMeterClock(tenantId, NOON);

    const responses = await Promise.all(Array.from({ length: 300 }, () => send(key, { to: number(), body: "burst" })));
    const accepted = responses.filter((r) => r.status === 202);
    const limited = responses.filter((r) => r.status === 429);
    // The clock stands still, so the bucket holds exactly its burst of 100.
    expect(accepted).toHaveLength(100);
    expect(limited).toHaveLength(200);
    const problem = await expectProblem(limited[0]!, 429, "rate_limited");
    expect(problem).toMatchObject({ limit: "messages", retry_after: 1 });
    expect(limited[0]!.headers.get("retry-after")).toBe("1");
    expect(limited[0]!.headers.get("ratelimit")).toBe(`"messages";r=0;t=2, "daily";r=9900;t=43200`);
    for (const r of responses) if (!r.bodyUsed) await r.body?.cancel();

    await setMeterClock(tenantId, NOON + SECOND);
    const after = await send(key, { to: number(), body: "after the wait" });
    expect(after.status).toBe(202);
    // One second refills 50 tokens at 50/s; this send took one of them.
    expect(after.headers.get("ratelimit")).toBe(`"messages";r=49;t=2, "daily";r=9899;t=43199`);
    expect(after.headers.get("ratelimit-policy")).toBe(`"messages";q=100;w=2, "daily";q=10000;w=86400`);
  });

  it("limits other API requests per second, and advertises the request bucket", async () => {
    const { tenantId, key } = await createTenant();
    await setLimits(tenantId, { requests_per_second: 1, request_burst: 2 });
    await setMeterClock(tenantId, NOON);

    const first = await call("/v1/account", { key });
    expect(first.status).toBe(200);
    expect(first.headers.get("ratelimit-policy")).toBe(`"requests";q=2;w=2`);
    expect(first.headers.get("ratelimit")).toBe(`"requests";r=1;t=1`);
    expect((await call("/v1/messages", { key })).status).toBe(200);
    const limited = await call("/v1/messages", { key });
    expect(await expectProblem(limited, 429, "rate_limited")).toMatchObject({ limit: "requests", retry_after: 1 });
    expect(limited.headers.get("retry-after")).toBe("1");
    // A send is an API request too.
    expect(await expectProblem(await send(key, { to: number(), body: "hi" }), 429, "rate_limited")).toMatchObject({ limit: "requests" });

    await setMeterClock(tenantId, NOON + SECOND);
    expect((await call("/v1/messages", { key })).status).toBe(200);
  });
});

describe("every send request is a request", () => {
  it("counts refused sends, invalid ones and dry runs against the request rate, and answers 429 past it", async () => {
    const { tenantId, key } = await createTenant();
    await setLimits(tenantId, { requests_per_second: 1, request_burst: 5 });
    await setMeterClock(tenantId, NOON);
    const to = number();
    await okJson(await send(key, { to, body: "code 1", type: "otp" }), 202);
    // Refused by the meter (capped), by validation, by composition, and previewed: four more requests.
    await expectProblem(await send(key, { to, body: "code 2", type: "otp" }), 429, "recipient_frequency_capped");
    await expectProblem(await send(key, { body: "no recipient" }), 422, "validation_failed");
    await expectProblem(await send(key, { to: number(), template_id: "tpl_missing" }), 404, "not_found");
    await okJson(await dryRun(key, { to: number(), body: "preview" }), 200);
    // The burst of 5 is spent: whatever comes next is over the request rate, dry run or send, valid or not.
    for (const response of [
      await dryRun(key, { to: number(), body: "preview" }),
      await send(key, { to: number(), body: "real" }),
      await send(key, { body: "invalid" }),
    ]) {
      expect(await expectProblem(response, 429, "rate_limited")).toMatchObject({ limit: "requests" });
    }
    await expectProblem(await call("/v1/messages", { key }), 429, "rate_limited");
    await setMeterClock(tenantId, NOON + SECOND);
    await okJson(await send(key, { to: number(), body: "real" }), 202);
  });
});

describe("daily quota", () => {
  it("refuses past the quota until the next UTC midnight, with Retry-After to it", async () => {
    const { tenantId, key } = await createTenant();
    await setLimits(tenantId, { daily_quota: 2 });
    const beforeMidnight = Date.UTC(2030, 5, 1, 23, 59, 50);
    await setMeterClock(tenantId, beforeMidnight);

    for (let i = 0; i < 2; i++) expect((await send(key, { to: number(), body: "hi" })).status).toBe(202);
    const over = await send(key, { to: number(), body: "hi" });
    expect(await expectProblem(over, 429, "quota_exceeded")).toMatchObject({ quota: 2, retry_after: 10 });
    expect(over.headers.get("retry-after")).toBe("10");
    expect((await account(key)).usage.today).toMatchObject({ date: "2030-06-01", messages: 2, quota_remaining: 0 });

    await setMeterClock(tenantId, Date.UTC(2030, 5, 2));
    expect((await send(key, { to: number(), body: "a new day" })).status).toBe(202);
    expect((await account(key)).usage.today).toMatchObject({ date: "2030-06-02", messages: 1, quota_remaining: 1 });
  });
});

describe("per-recipient caps", () => {
  it("caps otp at 1 a minute and 5 an hour per recipient, naming the window, until it slides past", async () => {
    const { tenantId, key } = await createTenant();
    const to = number();
    const otp = { to, body: "Your code is 123456", type: "otp" };

    for (let i = 0; i < 5; i++) {
      await setMeterClock(tenantId, NOON + i * MINUTE);
      expect((await send(key, otp)).status).toBe(202);
    }
    await setMeterClock(tenantId, NOON + 4 * MINUTE + 30 * SECOND);
    const perMinute = await send(key, otp);
    expect(await expectProblem(perMinute, 429, "recipient_frequency_capped")).toMatchObject({ window: "minute", max: 1, retry_after: 30 });
    expect(perMinute.headers.get("retry-after")).toBe("30");

    await setMeterClock(tenantId, NOON + 6 * MINUTE);
    const perHour = await expectProblem(await send(key, otp), 429, "recipient_frequency_capped");
    // The first of the five leaves the hour at NOON + 60 min.
    expect(perHour).toMatchObject({ window: "hour", max: 5, retry_after: 54 * 60 });

    // Other recipients, and other types to this one, are not affected.
    expect((await send(key, { ...otp, to: number() })).status).toBe(202);
    expect((await send(key, { ...otp, type: "notification" })).status).toBe(202);

    await setMeterClock(tenantId, NOON + 60 * MINUTE + SECOND);
    expect((await send(key, otp)).status).toBe(202);
  });

  it("caps otp at 10 a day, marketing at 1 a day and notification at 50 a day by default", async () => {
    const { tenantId, key } = await createTenant();
    const to = number();
    for (let i = 0; i < 10; i++) {
      await setMeterClock(tenantId, NOON + i * 61 * MINUTE);
      expect((await send(key, { to, body: "code 1234", type: "otp" })).status).toBe(202);
    }
    await setMeterClock(tenantId, NOON + 10 * 61 * MINUTE);
    expect(await expectProblem(await send(key, { to, body: "code 1234", type: "otp" }), 429, "recipient_frequency_capped")).toMatchObject({
      window: "day",
      max: 10,
    });

    expect((await send(key, { to, body: "Sale! Reply STOP to opt out", type: "marketing" })).status).toBe(202);
    expect(
      await expectProblem(await send(key, { to, body: "Sale! Reply STOP to opt out", type: "marketing" }), 429, "recipient_frequency_capped"),
    ).toMatchObject({ window: "day", max: 1 });

    const other = number();
    for (let i = 0; i < 50; i++) {
      await setMeterClock(tenantId, NOON + 11 * 61 * MINUTE + i * SECOND);
      expect((await send(key, { to: other, body: `notice ${i}` })).status).toBe(202);
    }
    expect(await expectProblem(await send(key, { to: other, body: "one more" }), 429, "recipient_frequency_capped")).toMatchObject({
      window: "day",
      max: 50,
    });
  });

  it("follows the caps an operator sets for the tenant", async () => {
    const { tenantId, key } = await createTenant();
    const detail = await setLimits(tenantId, { recipient_caps: { marketing: { per_day: 2 } } });
    expect(detail.limits.recipient_caps.marketing).toEqual({ per_minute: null, per_hour: null, per_day: 2 });
    await setMeterClock(tenantId, NOON);
    const to = number();
    const promo = { to, body: "Sale! Reply STOP to opt out", type: "marketing" };
    expect((await send(key, promo)).status).toBe(202);
    expect((await send(key, promo)).status).toBe(202);
    expect((await send(key, promo)).status).toBe(429);
  });
});

describe("a refused send", () => {
  it("consumes nothing: no token, no quota, no cap slot, no balance", async () => {
    const { tenantId, key } = await fundedLiveTenant(10_000, { clock: NOON });
    const to = number();
    const unpaidTo = number();

    const first = await send(key, { to, body: "code 1", type: "otp" });
    expect(first.headers.get("ratelimit")).toBe(`"messages";r=99;t=1, "daily";r=9999;t=43200`);
    // Capped (otp, same minute), then unpaid: neither may take a token, a quota slot or money.
    await expectProblem(await send(key, { to, body: "code 2", type: "otp" }), 429, "recipient_frequency_capped");
    await expectProblem(await send(key, { to: unpaidTo, body: "code 3", type: "otp" }), 402, "insufficient_balance");

    const state = await account(key);
    expect(state.balance).toBe(0);
    expect(state.usage.today).toMatchObject({ messages: 1, spend: 10_000 });
    await credit(tenantId, 10_000);
    // The unpaid send did not take its recipient's cap slot either: an otp to it, this same minute, passes.
    const next = await send(key, { to: unpaidTo, body: "code 4", type: "otp" });
    expect(next.status).toBe(202);
    expect(next.headers.get("ratelimit")).toBe(`"messages";r=98;t=1, "daily";r=9998;t=43200`);
  });
});

describe("dry run", () => {
  it("is its own operation: the old ?dry_run=true on a send is refused, not sent", async () => {
    const { key } = await createTenant();
    const refused = await expectProblem(await send(key, { to: number(), body: "try" }, { query: "?dry_run=true" }), 422, "validation_failed");
    expect(refused.errors).toEqual([{ path: "query.dry_run", message: expect.stringContaining("/v1/messages/dry-run") }]);
    expect((await okJson(await call("/v1/messages", { key }), 200)).data).toEqual([]);
  });

  it("answers what would be sent, and which check would refuse it, while sending, charging and counting nothing", async () => {
    const { key } = await fundedLiveTenant(15_000, { clock: NOON });
    const to = number();

    const preview = await okJson(await dryRun(key, { to, body: "a".repeat(161) }), 200);
    expect(preview).toEqual({
      would_send: false,
      refusal: { code: "insufficient_balance", status: 402, detail: expect.stringContaining("20000") },
      to,
      country: "US",
      type: "notification",
      from: null,
      body: "a".repeat(161),
      template_id: null,
      template_version: null,
      encoding: "GSM-7",
      segments: 2,
      price: 20_000,
      currency: "USD",
      carrier: "simulator",
      send_at: null,
    });
    const ok = await okJson(await dryRun(key, { to, body: "short" }), 200);
    expect(ok).toMatchObject({ would_send: true, refusal: null, price: 10_000 });

    const invalid = await okJson(await dryRun(key, { to: "+1 555", body: "x" }), 200);
    expect(invalid).toMatchObject({ would_send: false, to: null, price: null, refusal: { code: "invalid_number", status: 422 } });

    const state = await account(key);
    expect(state.balance).toBe(15_000);
    expect(state.usage.today.messages).toBe(0);
    expect((await okJson(await call("/v1/messages", { key }), 200)).data).toEqual([]);

    // A real send now still has the full bucket: the dry runs took no token.
    const real = await send(key, { to, body: "short" });
    expect(real.headers.get("ratelimit")).toBe(`"messages";r=99;t=1, "daily";r=9999;t=43200`);
  });
});

describe("operator API for metering", () => {
  it("credits a tenant and pages through its ledger, newest first", async () => {
    const { tenantId } = await createTenant();
    for (const amount of [1, 2, 3]) await credit(tenantId, amount, `top-up ${amount}`);
    const first = await okJson(await call(`/v1/admin/tenants/${tenantId}/ledger?limit=2`, { headers: ADMIN }), 200);
    expect(first.data.map((e: any) => [e.amount, e.balance, e.note])).toEqual([
      [3, 6, "top-up 3"],
      [2, 3, "top-up 2"],
    ]);
    const second = await okJson(await call(`/v1/admin/tenants/${tenantId}/ledger?limit=2&cursor=${first.next_cursor}`, { headers: ADMIN }), 200);
    expect(second).toMatchObject({ data: [{ kind: "credit", amount: 1, balance: 1 }], next_cursor: null });
    expect(second.data[0].id).toMatch(/^led_/);
  });

  it("applies a credit retried with the same Idempotency-Key once", async () => {
    const { tenantId, key } = await createTenant();
    const post = (amount: number) =>
      call(`/v1/admin/tenants/${tenantId}/credit`, { method: "POST", headers: { ...ADMIN, "Idempotency-Key": "invoice-7" }, json: { amount } });
    const first = await okJson(await post(5_000), 201);
    const retry = await okJson(await post(5_000), 200);
    expect(retry).toEqual(first);
    await expectProblem(await post(6_000), 422, "idempotency_mismatch");
    expect((await account(key)).balance).toBe(5_000);
    expect(await ledger(tenantId)).toHaveLength(1);
  });

  it("validates what it is given and finds only tenants that exist", async () => {
    const { tenantId } = await createTenant();
    const path = `/v1/admin/tenants/${tenantId}`;
    const bad = await expectProblem(
      await call(path, { method: "PATCH", headers: ADMIN, json: { limits: { daily_quota: -1, recipient_caps: { otp: { per_week: 1 } } } } }),
      422,
      "validation_failed",
    );
    expect(bad.errors!.map((e) => e.path)).toEqual(expect.arrayContaining(["body.limits.daily_quota", "body.limits.recipient_caps.otp"]));
    await expectProblem(await call(`${path}/credit`, { method: "POST", headers: ADMIN, json: { amount: 0.5 } }), 422, "validation_failed");
    await expectProblem(await call(`${path}/credit`, { method: "POST", headers: ADMIN, json: { amount: -5 } }), 422, "validation_failed");
    await expectProblem(await call(`${path}/ledger?cursor=bm90LWEtc2Vx`, { headers: ADMIN }), 422, "validation_failed");
    await expectProblem(await call("/v1/admin/prices/usa", { method: "PUT", headers: ADMIN, json: { unit_price: 1 } }), 422, "validation_failed");
    await expectProblem(await call("/v1/admin/prices/US", { method: "PUT", headers: ADMIN, json: { unit_price: -1 } }), 422, "validation_failed");
    for (const [method, suffix, json] of [
      ["PATCH", "", { name: "x" }],
      ["POST", "/credit", { amount: 1 }],
      ["GET", "/ledger", undefined],
    ] as const) {
      await expectProblem(await call(`/v1/admin/tenants/ten_missing${suffix}`, { method, headers: ADMIN, json }), 404, "not_found");
    }
    // Tenant keys cannot reach the operator API.
    const { key } = await createTenant();
    await expectProblem(await call(`${path}/credit`, { method: "POST", key, json: { amount: 1 } }), 401, "unauthorized");
  });

  it("exempts a tenant from metering: no limits, no caps, no charge, no RateLimit headers", async () => {
    const { tenantId, key } = await createTenant("live");
    const detail = await okJson(await call(`/v1/admin/tenants/${tenantId}`, { method: "PATCH", headers: ADMIN, json: { metered: false } }), 200);
    expect(detail).toMatchObject({ metered: false, balance: 0 });
    const to = number();
    for (let i = 0; i < 3; i++) {
      const response = await send(key, { to, body: "code", type: "otp" });
      expect(await okJson(response, 202)).toMatchObject({ price: 0 });
      expect(response.headers.get("ratelimit")).toBeNull();
    }
    expect((await account(key)).metered).toBe(false);
  });
});

describe("a send whose outbox write fails", () => {
  it("answers 500 and gives back what the meter took: balance, quota, cap slot and idempotency key", async () => {
    const { tenantId, key } = await fundedLiveTenant(10_000);
    await setLimits(tenantId, { daily_quota: 1 });
    await setMeterClock(tenantId, NOON);
    const to = number();
    // A real D1 failure, not a mock: the tenant's shard refuses this one message (its body is stored
    // encrypted, so the trigger knows it by its number).
    const d1 = await d1Of(tenantId);
    await d1.exec(`CREATE TRIGGER refuse_doomed BEFORE INSERT ON messages WHEN NEW."to" = '${to}' BEGIN SELECT RAISE(ABORT, 'disk full'); END`);
    vi.spyOn(console, "error").mockImplementation(() => {});
    const body = { to, body: "doomed", type: "otp" };
    await expectProblem(await send(key, body, { headers: { "Idempotency-Key": "doomed-1" } }), 500, "internal_error");

    const state = await account(key);
    expect(state.balance).toBe(10_000);
    expect(state.usage.today).toMatchObject({ messages: 0, spend: 0 });
    expect((await okJson(await call("/v1/messages", { key }), 200)).data).toEqual([]);

    // Once the database takes it, the retry with the same key goes through: quota, cap and key were freed.
    await d1.exec("DROP TRIGGER refuse_doomed");
    const retried = await send(key, body, { headers: { "Idempotency-Key": "doomed-1" } });
    expect(retried.status).toBe(202);
    expect(retried.headers.get("idempotent-replayed")).toBeNull();
    expect((await account(key)).balance).toBe(0);
  });
});
