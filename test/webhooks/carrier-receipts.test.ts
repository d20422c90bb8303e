import { and, eq } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";
import { carrierReceipts } from "../../src/db/schema";
import { QUEUES } from "../../src/queues";
import { ALIBABA_ACK } from "../../src/carriers/alibaba";
import { call, createTenant, expectProblem, getMessage, okJson } from "../helpers/api";
import { postAlibaba, postSmpp, postTwilio, postVonage, putRoute, sentVia, twilioAccepts, ukNumber, vonageAccepts } from "../helpers/carriers";
import { mockNetwork } from "../helpers/network";
import { receiptResult } from "../helpers/receipts";
import { drive, sendJob } from "../helpers/queues";
import { insertQueuedMessage, number, shards } from "../helpers/seed";

const network = mockNetwork();
/** Receipts of `carrier` for `id` held until a submit records the id (one that names no shard is held on each). */
const held = async (carrier: string, id: string) => {
  const rows = await Promise.all(
    shards().map((db) => db.select().from(carrierReceipts).where(and(eq(carrierReceipts.carrier, carrier), eq(carrierReceipts.carrierKey, id), eq(carrierReceipts.result, "held")))),
  );
  return new Set(rows.flat().map((row) => row.id)).size;
};
const statuses = (message: { events: { status: string }[] }) => message.events.map((e) => e.status);

/** A live message to the US, submitted to Twilio through the send consumer; Twilio answers `sid`. */
async function sentToTwilio(sid: string) {
  await putRoute("US", [{ carrier: "twilio" }]);
  network.use(twilioAccepts(sid));
  const { key, tenantId } = await createTenant("live");
  const row = await insertQueuedMessage(tenantId, number("5555"), Date.now(), "simulator", { mode: "live", from: "+14155550100" });
  await drive(QUEUES.send, [sendJob(row.id)]);
  return { key, id: row.id };
}

/** A live message to the UK, submitted to Vonage, which answers one id per part. */
async function sentToVonage(...ids: string[]) {
  await putRoute("GB", [{ carrier: "vonage" }]);
  network.use(vonageAccepts(...ids));
  const { key, tenantId } = await createTenant("live");
  const row = await insertQueuedMessage(tenantId, ukNumber(), Date.now(), "simulator", { mode: "live", country: "GB", from: "Acme", segments: ids.length });
  await drive(QUEUES.send, [sendJob(row.id)]);
  return { key, id: row.id };
}

const twilioStatus = (sid: string, status: string, extra: Record<string, string> = {}) => ({
  AccountSid: "AC00000000000000000000000000000test",
  MessageSid: sid,
  SmsSid: sid,
  MessageStatus: status,
  To: "+14155550123",
  ApiVersion: "2010-04-01",
  ...extra,
});

const vonageDlr = (id: string, status: string, errCode = "0") => ({
  msisdn: "447911123456",
  to: "Acme",
  "network-code": "23410",
  messageId: id,
  price: "0.0333",
  status,
  scts: "2611291030",
  "err-code": errCode,
  "message-timestamp": "2026-11-29 10:30:12",
});

describe("Twilio status callbacks", () => {
  it("applies a signed callback, and shows the raw payload on the message's event", async () => {
    const { key, id } = await sentToTwilio("SMaaaa0000000000000000000000000001");
    const sent = await getMessage(key, id);
    expect(sent).toMatchObject({ status: "sent", carrier: "twilio", carrier_message_id: "SMaaaa0000000000000000000000000001", parts: { total: 1, delivered: 0 } });

    await receiptResult(await postTwilio("/webhooks/twilio/status", twilioStatus("SMaaaa0000000000000000000000000001", "sent")), "ignored");
    await receiptResult(await postTwilio("/webhooks/twilio/status", twilioStatus("SMaaaa0000000000000000000000000001", "delivered")), "applied");
    const delivered = await getMessage(key, id);
    expect(delivered.status).toBe("delivered");
    expect(delivered.parts).toEqual({ total: 1, delivered: 1 });
    const last = delivered.events.at(-1);
    expect(last).toMatchObject({ status: "delivered", detail: "twilio receipt: delivered", receipt: { carrier: "twilio", carrier_status: "delivered" } });
    expect(new URLSearchParams(last.receipt.raw).get("MessageStatus")).toBe("delivered");
  });

  it("maps an undelivered callback's ErrorCode to ours", async () => {
    const { key, id } = await sentToTwilio("SMaaaa0000000000000000000000000002");
    await receiptResult(await postTwilio("/webhooks/twilio/status", twilioStatus("SMaaaa0000000000000000000000000002", "undelivered", { ErrorCode: "30003" })), "applied");
    expect(await getMessage(key, id)).toMatchObject({ status: "undelivered", error: { code: "handset_unreachable" } });
  });

  it.each([
    ["unsigned", (f: Record<string, string>) => call("/webhooks/twilio/status", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(f).toString() })],
    ["signed with another token", (f: Record<string, string>) => postTwilio("/webhooks/twilio/status", f, { token: "not-the-token" })],
    ["altered after signing", (f: Record<string, string>) => postTwilio("/webhooks/twilio/status", f, { tamper: true })],
  ])("refuses a callback that is %s with 401 and changes nothing", async (_, post) => {
    const sid = `SMbad${crypto.randomUUID().replaceAll("-", "")}`;
    const { key, id } = await sentToTwilio(sid);
    await expectProblem(await post(twilioStatus(sid, "undelivered")), 401, "invalid_signature");
    expect((await getMessage(key, id)).status).toBe("sent");
  });

  it("never moves a message back for a duplicate or out-of-order callback", async () => {
    const { key, id } = await sentToTwilio("SMaaaa0000000000000000000000000003");
    await receiptResult(await postTwilio("/webhooks/twilio/status", twilioStatus("SMaaaa0000000000000000000000000003", "delivered")), "applied");
    const before = await getMessage(key, id);
    for (const status of ["delivered", "sent", "undelivered", "queued"]) {
      await receiptResult(await postTwilio("/webhooks/twilio/status", twilioStatus("SMaaaa0000000000000000000000000003", status)), "ignored");
    }
    const after = await getMessage(key, id);
    expect(after.status).toBe("delivered");
    expect(after.events).toEqual(before.events);
  });

  it("holds a callback that comes before the submit recorded its SID, and applies it when it is recorded", async () => {
    const sid = "SMaaaa0000000000000000000000000004";
    await receiptResult(await postTwilio("/webhooks/twilio/status", twilioStatus(sid, "delivered")), "held");
    const { key, id } = await sentToTwilio(sid);
    const message = await getMessage(key, id);
    expect(message.status).toBe("delivered");
    expect(statuses(message)).toEqual(["queued", "sending", "sent", "delivered"]);
    expect(message.events.at(-1).receipt.carrier_status).toBe("delivered");
  });

  it("answers 422 for a signed callback that lacks the message's fields", async () => {
    const problem = await expectProblem(await postTwilio("/webhooks/twilio/status", { AccountSid: "AC1" }), 422, "validation_failed");
    expect(problem.errors?.map((e) => e.path)).toEqual(["body.MessageSid", "body.MessageStatus"]);
  });
});

describe("Vonage delivery receipts", () => {
  it("delivers a three-part message only when every part's receipt says so, in any order", async () => {
    const { key, id } = await sentToVonage("0A00000001", "0A00000002", "0A00000003");
    expect(await getMessage(key, id)).toMatchObject({ status: "sent", parts: { total: 3, delivered: 0 } });

    await receiptResult(await postVonage("/webhooks/vonage/status", vonageDlr("0A00000003", "delivered")), "applied");
    await receiptResult(await postVonage("/webhooks/vonage/status", vonageDlr("0A00000001", "delivered")), "applied");
    const partial = await getMessage(key, id);
    expect(partial).toMatchObject({ status: "sent", parts: { total: 3, delivered: 2 } });
    expect(partial.events.map((e: { detail: string }) => e.detail).slice(-2)).toEqual([
      "vonage receipt: delivered (part 3/3)",
      "vonage receipt: delivered (part 1/3)",
    ]);

    // A duplicate of a part's receipt changes nothing.
    await receiptResult(await postVonage("/webhooks/vonage/status", vonageDlr("0A00000001", "delivered")), "ignored");
    await receiptResult(await postVonage("/webhooks/vonage/status", vonageDlr("0A00000002", "delivered")), "applied");
    expect(await getMessage(key, id)).toMatchObject({ status: "delivered", parts: { total: 3, delivered: 3 } });
  });

  it("makes a message undelivered when any part is, and a later part's delivery does not undo it", async () => {
    const { key, id } = await sentToVonage("0B00000001", "0B00000002");
    await receiptResult(await postVonage("/webhooks/vonage/status", vonageDlr("0B00000001", "failed", "2")), "applied");
    expect(await getMessage(key, id)).toMatchObject({ status: "undelivered", error: { code: "handset_unreachable" } });
    await receiptResult(await postVonage("/webhooks/vonage/status", vonageDlr("0B00000002", "delivered")), "applied");
    expect(await getMessage(key, id)).toMatchObject({ status: "undelivered", parts: { total: 2, delivered: 1 } });
  });

  it("answers 400 for a body that is not JSON and 415 for one that is neither JSON nor a form", async () => {
    await expectProblem(await call("/webhooks/vonage/status", { method: "POST", headers: { "content-type": "application/json" }, body: "{messageId:" }), 400, "malformed_json");
    await expectProblem(await call("/webhooks/vonage/status", { method: "POST", headers: { "content-type": "text/plain" }, body: "messageId=1" }), 415, "unsupported_media_type");
  });

  it("refuses an unsigned, wrongly signed or stale receipt with 401", async () => {
    const { key, id } = await sentToVonage("0C00000001");
    await expectProblem(await postVonage("/webhooks/vonage/status", vonageDlr("0C00000001", "delivered"), { unsigned: true }), 401, "invalid_signature");
    await expectProblem(await postVonage("/webhooks/vonage/status", vonageDlr("0C00000001", "delivered"), { secret: "other" }), 401, "invalid_signature");
    const stale = Math.floor(Date.now() / 1000) - 600;
    await expectProblem(await postVonage("/webhooks/vonage/status", vonageDlr("0C00000001", "delivered"), { timestamp: stale }), 401, "invalid_signature");
    expect((await getMessage(key, id)).status).toBe("sent");
  });
});

describe("SMPP delivery receipts from a bridge", () => {
  it("matches a decimal receipt id to the hex id the submit returned, in any case", async () => {
    const { key, id } = await sentVia("smpp", ["1A2B3C"]);
    const text = "id:1715004 sub:001 dlvrd:001 submit date:2611291030 done date:2611291031 stat:DELIVRD err:000 text:hello";
    await receiptResult(await postSmpp(text), "applied");
    const message = await getMessage(key, id);
    expect(message.status).toBe("delivered");
    expect(message.events.at(-1).receipt).toMatchObject({ carrier: "smpp", carrier_status: "DELIVRD", carrier_time: "2026-11-29T10:31:00" });
    expect(JSON.parse(message.events.at(-1).receipt.raw)).toEqual({ short_message: text });
  });

  it("matches a hex receipt id (with seconds in its dates) to a decimal submit id", async () => {
    const { key, id } = await sentVia("smpp", ["3054198966"]);
    await receiptResult(await postSmpp("id:00B60B60B7 sub:001 dlvrd:000 submit date:261129103000 done date:261129103512 stat:UNDELIV err:034 text:"), "held");
    // 0xB60B60B7 is 3054198967, not this message: nothing changes.
    expect((await getMessage(key, id)).status).toBe("sent");
    await receiptResult(await postSmpp("id:00B60B60B6 sub:001 dlvrd:000 submit date:261129103000 done date:261129103512 stat:UNDELIV err:034 text:"), "applied");
    expect(await getMessage(key, id)).toMatchObject({ status: "undelivered", error: { code: "smpp_err_034" } });
  });

  it("refuses a receipt the bridge did not sign, and 422s text that is no receipt", async () => {
    await expectProblem(await postSmpp("id:1 stat:DELIVRD err:000", { secret: "whsec_b3RoZXItc2VjcmV0" }), 401, "invalid_signature");
    await expectProblem(await postSmpp("hello"), 422, "validation_failed");
  });
});

describe("Alibaba Cloud receipt push", () => {
  const receipt = (bizId: string, success: boolean) => ({
    phone_number: "13800138000",
    send_time: "2026-11-29 18:00:00",
    report_time: "2026-11-29 18:00:07",
    success,
    err_code: success ? "DELIVERED" : "MK:0012",
    err_msg: success ? "用户接收成功" : "失败",
    sms_size: "1",
    biz_id: bizId,
    out_id: "",
  });

  it("applies every receipt of a push, holds the unknown, and answers Alibaba's acknowledgement", async () => {
    const a = await sentVia("alibaba", ["900001^0"]);
    const b = await sentVia("alibaba", ["900002^0"]);
    const ack = await okJson(await postAlibaba([receipt("900001^0", true), receipt("900002^0", false), receipt("900003^0", true)]), 200);
    expect(ack).toEqual(ALIBABA_ACK);
    // Acknowledged once queued; the receipts consumer applies them a moment later.
    await vi.waitFor(async () => expect((await getMessage(a.key, a.id)).status).toBe("delivered"), { timeout: 10_000 });
    await vi.waitFor(async () => expect(await getMessage(b.key, b.id)).toMatchObject({ status: "undelivered", error: { code: "alibaba_mk:0012" } }), { timeout: 10_000 });
    await vi.waitFor(async () => expect(await held("alibaba", "900003^0")).toBe(1), { timeout: 10_000 });
    // The third was held: once its submit records the id, it applies.
    const c = await sentVia("alibaba", ["900003^0"]);
    expect((await getMessage(c.key, c.id)).status).toBe("delivered");
  });

  it("refuses a push without the URL token, or with another, with 401", async () => {
    const a = await sentVia("alibaba", ["900010^0"]);
    await expectProblem(await postAlibaba([receipt("900010^0", true)], null), 401, "invalid_signature");
    await expectProblem(await postAlibaba([receipt("900010^0", true)], "wrong-token"), 401, "invalid_signature");
    expect((await getMessage(a.key, a.id)).status).toBe("sent");
  });
});
