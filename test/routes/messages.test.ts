import { describe, expect, it } from "vitest";
import { Message, MessageList, MessageWithEvents } from "../../src/routes/messages/schemas";
import { call, createTenant, expectProblem, okJson, sendMessage } from "../helpers/api";
import { number } from "../helpers/seed";

async function listAll(key: string, query = "") {
  return okJson(await call(`/v1/messages${query}`, { key }), 200);
}

describe("POST /v1/messages", () => {
  it("accepts a message with 202 and returns it queued, normalised and counted", async () => {
    const { key } = await createTenant();
    // A test key may send from a sender still waiting for review.
    await okJson(await call("/v1/senders", { method: "POST", key, json: { value: "Acme", kind: "alphanumeric" } }), 201);
    const message = await sendMessage(key, {
      to: "13800138000",
      country: "CN",
      body: "您的验证码是 123456",
      type: "otp",
      from: "Acme",
      reference: "order-42",
    });
    expect(MessageWithEvents.parse(message)).toBeTruthy();
    expect(message).toMatchObject({
      to: "+8613800138000",
      country: "CN",
      from: "Acme",
      type: "otp",
      status: "queued",
      encoding: "UCS-2",
      segments: 1,
      carrier: "simulator",
      carrier_message_id: null,
      error: null,
      reference: "order-42",
    });
    expect(message.id).toMatch(/^msg_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(message.events).toEqual([{ status: "queued", at: message.created_at, detail: null, receipt: null }]);
  });

  it("defaults the type to notification", async () => {
    const { key } = await createTenant();
    expect((await sendMessage(key, { to: number(), body: "hi" })).type).toBe("notification");
  });

  it.each([
    ["GSM-7 text", "a".repeat(161), "GSM-7", 2],
    ["extension characters (two septets each)", "{€}".repeat(26), "GSM-7", 1],
    ["extension characters past one part", "{€}".repeat(27), "GSM-7", 2],
    ["Chinese text", "你好".repeat(36), "UCS-2", 2],
    ["emoji", "👍".repeat(35), "UCS-2", 1],
    ["emoji past one part", "👍".repeat(36), "UCS-2", 2],
  ])("counts %s", async (_, body, encoding, segments) => {
    const { key } = await createTenant();
    expect(await sendMessage(key, { to: number(), body })).toMatchObject({ encoding, segments });
  });

  it("refuses an invalid number with the reason, and writes nothing", async () => {
    const { key } = await createTenant();
    const problem = await expectProblem(
      await call("/v1/messages", { method: "POST", key, json: { to: "+86 138", body: "hi" } }),
      422,
      "invalid_number",
    );
    expect(problem.reason).toBe("too_short");
    expect(problem.detail).toContain("+86 138");
    const national = await expectProblem(
      await call("/v1/messages", { method: "POST", key, json: { to: "13800138000", body: "hi" } }),
      422,
      "invalid_number",
    );
    expect(national.reason).toBe("invalid_country_code");
    expect((await listAll(key)).data).toEqual([]);
  });

  it("refuses a body longer than 10 segments, and writes nothing", async () => {
    const { key } = await createTenant();
    await sendMessage(key, { to: number(), body: "a".repeat(1530) });
    const problem = await expectProblem(
      await call("/v1/messages", { method: "POST", key, json: { to: number(), body: "a".repeat(1531) } }),
      422,
      "body_too_long",
    );
    expect(problem.detail).toMatch(/11 GSM-7 segments/);
    await expectProblem(
      await call("/v1/messages", { method: "POST", key, json: { to: number(), body: "你".repeat(671) } }),
      422,
      "body_too_long",
    );
    expect((await listAll(key)).data).toHaveLength(1);
  });

  it("names every invalid field", async () => {
    const { key } = await createTenant();
    const problem = await expectProblem(
      await call("/v1/messages", { method: "POST", key, json: { to: 42, type: "spam", country: "china", extra: 1 } }),
      422,
      "validation_failed",
    );
    expect(problem.errors?.map((e) => e.path).sort()).toEqual(["body", "body.body", "body.country", "body.to", "body.type"]);
    expect(problem.errors?.every((e) => e.message.length > 0)).toBe(true);
  });

  it("answers 400 to malformed JSON, 415 to another content type, 413 to a body over 64 KiB", async () => {
    const { key } = await createTenant();
    await expectProblem(
      await call("/v1/messages", { method: "POST", key, headers: { "content-type": "application/json" }, body: '{"to":' }),
      400,
      "malformed_json",
    );
    await expectProblem(
      await call("/v1/messages", { method: "POST", key, headers: { "content-type": "text/plain" }, body: "to=1" }),
      415,
      "unsupported_media_type",
    );
    await expectProblem(
      await call("/v1/messages", { method: "POST", key, json: { to: number(), body: "a".repeat(70_000) } }),
      413,
      "payload_too_large",
    );
    expect((await listAll(key)).data).toEqual([]);
  });
});

describe("GET /v1/messages/{id}", () => {
  it("returns the message with its events", async () => {
    const { key } = await createTenant();
    const sent = await sendMessage(key, { to: number(), body: "hi" });
    const got = await okJson(await call(`/v1/messages/${sent.id}`, { key }), 200);
    expect(MessageWithEvents.parse(got).id).toBe(sent.id);
    expect(got.events[0].status).toBe("queued");
  });

  it("answers 404 for an id that does not exist", async () => {
    const { key } = await createTenant();
    await expectProblem(await call("/v1/messages/msg_01ARZ3NDEKTSV4RRFFQ69G5FAV", { key }), 404, "not_found");
  });
});

describe("GET /v1/messages", () => {
  it("lists newest first and pages with an opaque cursor", async () => {
    const { key } = await createTenant();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await sendMessage(key, { to: number(), body: `m${i}` })).id);
    const newestFirst = [...ids].reverse();

    const first = MessageList.parse(await listAll(key, "?limit=2"));
    expect(first.data.map((m) => m.id)).toEqual(newestFirst.slice(0, 2));
    const second = await listAll(key, `?limit=2&cursor=${first.next_cursor}`);
    expect(second.data.map((m: { id: string }) => m.id)).toEqual(newestFirst.slice(2, 4));
    const third = await listAll(key, `?limit=2&cursor=${second.next_cursor}`);
    expect(third.data.map((m: { id: string }) => m.id)).toEqual(newestFirst.slice(4));
    expect(third.next_cursor).toBeNull();
    expect((await listAll(key)).data).toHaveLength(5);
    expect(Message.parse(third.data[0])).toBeTruthy();
  });

  it("filters by status and by recipient in any format", async () => {
    const { key } = await createTenant();
    const to = "+8613800138000";
    const mine = await sendMessage(key, { to, body: "a" });
    await sendMessage(key, { to: number(), body: "b" });
    const byTo = await listAll(key, `?to=${encodeURIComponent("+86 138 0013 8000")}`);
    expect(byTo.data.map((m: { id: string }) => m.id)).toEqual([mine.id]);
    expect((await listAll(key, "?status=delivered")).data.every((m: { status: string }) => m.status === "delivered")).toBe(true);
    expect((await listAll(key, "?status=queued&limit=100")).data.length).toBeLessThanOrEqual(2);
  });

  it("answers 422 for a bad limit, status, recipient or cursor", async () => {
    const { key } = await createTenant();
    for (const [query, path] of [
      ["?limit=0", "query.limit"],
      ["?limit=101", "query.limit"],
      ["?status=lost", "query.status"],
      ["?to=hello", "query.to"],
      ["?cursor=not%20a%20cursor", "query.cursor"],
    ]) {
      const problem = await expectProblem(await call(`/v1/messages${query}`, { key }), 422, "validation_failed");
      expect(problem.errors?.map((e) => e.path)).toEqual([path]);
    }
  });
});
