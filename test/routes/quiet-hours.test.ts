import { describe, expect, it } from "vitest";
import { call, createTenant, expectProblem, okJson, sendMessage, liveKeyFor } from "../helpers/api";
import { batchMessages, createBatch, expanded, waitForBatch } from "../helpers/batches";
import { send, dryRun } from "../helpers/meter";

// Japan keeps one zone and no summer time: 23:30 there is 14:30 UTC, all year.
const JP_MOBILE = ["+819012345678", "+819012345679", "+819012345680"];
const MARKETING = "Autumn sale: 20% off. Reply STOP to opt out";
const QUARTER = 15 * 60_000;

function tomorrowAtUtc(hhmm: string): string {
  const day = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
  return `${day}T${hhmm}:00Z`;
}

/** HH:MM in Tokyo of a UTC instant. */
const tokyo = (ms: number) => new Date(ms + 9 * 3_600_000).toISOString().slice(11, 16);

describe("quiet hours", () => {
  it("has defaults, takes a tenant's own window, and refuses a malformed one", async () => {
    const { key } = await createTenant();
    expect(await okJson(await call("/v1/account/quiet-hours", { key }), 200)).toEqual({ enabled: true, start: "21:00", end: "08:00" });
    for (const bad of [{ enabled: true, start: "9:00", end: "08:00" }, { enabled: true, start: "21:10", end: "08:00" }, { enabled: true, start: "08:00", end: "08:00" }, { start: "21:00", end: "08:00" }]) {
      await expectProblem(await call("/v1/account/quiet-hours", { method: "PUT", key: await liveKeyFor(key), json: bad }), 422, "validation_failed");
    }
    const window = { enabled: true, start: "20:00", end: "09:30" };
    expect(await okJson(await call("/v1/account/quiet-hours", { method: "PUT", key: await liveKeyFor(key), json: window }), 200)).toEqual(window);
    expect(await okJson(await call("/v1/account/quiet-hours", { key }), 200)).toEqual(window);
  });

  it("holds marketing due in the recipient's night until 08:00 there, past midnight; never OTP", async () => {
    const { key } = await createTenant();
    const night = tomorrowAtUtc("14:30"); // 23:30 in Tokyo
    const held = await sendMessage(key, { to: JP_MOBILE[0], body: MARKETING, type: "marketing", send_at: night });
    const morning = new Date(Date.parse(night) + 8.5 * 3_600_000).toISOString(); // 08:00 in Tokyo, the next day
    expect(held).toMatchObject({ status: "scheduled", send_at: morning });
    expect(held.events[0].detail).toBe(`held for quiet hours (21:00–08:00 in JP) until ${morning}`);

    const otp = await sendMessage(key, { to: JP_MOBILE[1], body: "Your code is 123456", type: "otp", send_at: night });
    expect(otp).toMatchObject({ status: "scheduled", send_at: new Date(night).toISOString() });

    const preview = await okJson(await dryRun(key, { to: JP_MOBILE[2], body: MARKETING, type: "marketing", send_at: night }), 200);
    expect(preview).toMatchObject({ would_send: true, send_at: morning });
  });

  it("sends at once when the tenant turned quiet hours off", async () => {
    const { key } = await createTenant();
    await okJson(await call("/v1/account/quiet-hours", { method: "PUT", key: await liveKeyFor(key), json: { enabled: false, start: "21:00", end: "08:00" } }), 200);
    const night = tomorrowAtUtc("14:30");
    const message = await sendMessage(key, { to: JP_MOBILE[0], body: MARKETING, type: "marketing", send_at: night });
    expect(message.send_at).toBe(new Date(night).toISOString());
  });

  it("holds a batch's marketing messages expanded inside the window, not its notifications", async () => {
    const { key } = await createTenant();
    const now = Math.floor(Date.now() / QUARTER) * QUARTER;
    const window = { enabled: true, start: tokyo(now - 3_600_000), end: tokyo(now + 3_600_000) };
    await okJson(await call("/v1/account/quiet-hours", { method: "PUT", key: await liveKeyFor(key), json: window }), 200);

    const promo = await createBatch(key, { type: "marketing", body: MARKETING, recipients: JP_MOBILE.slice(0, 2).map((to) => ({ to })) });
    await waitForBatch(key, promo.id, expanded);
    const held = await batchMessages(key, promo.id);
    expect(held.map((m) => [m.status, m.send_at])).toEqual([
      ["scheduled", new Date(now + 3_600_000).toISOString()],
      ["scheduled", new Date(now + 3_600_000).toISOString()],
    ]);

    const notice = await createBatch(key, { type: "notification", body: "Your order shipped", recipients: [{ to: JP_MOBILE[2] }] });
    await waitForBatch(key, notice.id, expanded);
    expect((await batchMessages(key, notice.id))[0].send_at).toBeNull();
  });
});
