import { describe, expect, it } from "vitest";
import { ADMIN, call, createTenant, expectProblem, okJson } from "../helpers/api";
import { postTwilio, postVonage } from "../helpers/carriers";
import { send } from "../helpers/meter";
import { number } from "../helpers/seed";

async function tenantWithNumber() {
  // Carriers carry live traffic: their replies are seen by live keys.
  const tenant = await createTenant("live");
  const own = number("0100");
  await okJson(await call(`/v1/admin/tenants/${tenant.tenantId}/numbers`, { method: "POST", headers: ADMIN, json: { number: own } }), 201);
  return { ...tenant, own };
}

const twilioInbound = (from: string, to: string, body: string, sid = `SM${crypto.randomUUID().replaceAll("-", "")}`) => ({
  ToCountry: "US",
  SmsMessageSid: sid,
  NumMedia: "0",
  MessageSid: sid,
  AccountSid: "AC00000000000000000000000000000test",
  From: from,
  To: to,
  Body: body,
  NumSegments: "1",
  ApiVersion: "2010-04-01",
});

const vonageInbound = (from: string, to: string, text: string, messageId = crypto.randomUUID()) => ({
  msisdn: from.replace("+", ""),
  to: to.replace("+", ""),
  messageId,
  text,
  type: "text",
  keyword: text.split(" ")[0]!.toUpperCase(),
  "api-key": "test_vonage_key",
  "message-timestamp": "2026-11-29 10:30:12",
});

async function inboundList(key: string) {
  return (await okJson(await call("/v1/inbound", { key }), 200)).data;
}

describe("inbound through Twilio", () => {
  it("opts the sender out on STOP, answers empty TwiML, and stores the raw payload", async () => {
    const { key, own } = await tenantWithNumber();
    const from = number();
    const response = await postTwilio("/webhooks/twilio/inbound", twilioInbound(from, own, "STOP"));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/xml/);
    expect(await response.text()).toBe('<?xml version="1.0" encoding="UTF-8"?><Response></Response>');
    await expectProblem(await send(key, { to: from, body: "hi" }), 422, "recipient_opted_out");

    const [reply] = await inboundList(key);
    expect(reply).toMatchObject({ from, to: own, text: "STOP", action: "opt_out", carrier: "twilio" });
    expect(new URLSearchParams(reply.raw).get("Body")).toBe("STOP");
    // The operator's account is not the tenant's to see.
    expect(new URLSearchParams(reply.raw).has("AccountSid")).toBe(false);
  });

  it("records a redelivered message once", async () => {
    const { key, own } = await tenantWithNumber();
    const fields = twilioInbound(number(), own, "hello there");
    await postTwilio("/webhooks/twilio/inbound", fields);
    await postTwilio("/webhooks/twilio/inbound", fields);
    expect(await inboundList(key)).toHaveLength(1);
  });

  it("refuses an unsigned message with 401 and records nothing", async () => {
    const { key, own } = await tenantWithNumber();
    const body = new URLSearchParams(twilioInbound(number(), own, "STOP")).toString();
    await expectProblem(
      await call("/webhooks/twilio/inbound", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body }),
      401,
      "invalid_signature",
    );
    await expectProblem(await postTwilio("/webhooks/twilio/inbound", twilioInbound(number(), own, "STOP"), { token: "wrong" }), 401, "invalid_signature");
    expect(await inboundList(key)).toEqual([]);
  });

  it("answers 422 for a signed message that lacks its sender", async () => {
    const { own } = await tenantWithNumber();
    const { From: _, ...noSender } = twilioInbound(number(), own, "hi");
    const problem = await expectProblem(await postTwilio("/webhooks/twilio/inbound", noSender), 422, "validation_failed");
    expect(problem.errors).toEqual([{ path: "body.From", message: "required" }]);
  });
});

describe("inbound through Vonage", () => {
  it("opts the sender out on STOP (numbers without +), and records a redelivery once", async () => {
    const { key, own } = await tenantWithNumber();
    const from = number();
    const fields = vonageInbound(from, own, "Stop");
    expect(await okJson(await postVonage("/webhooks/vonage/inbound", fields), 200)).toEqual({ result: "recorded", action: "opt_out" });
    expect(await okJson(await postVonage("/webhooks/vonage/inbound", fields), 200)).toEqual({ result: "duplicate", action: "opt_out" });
    await expectProblem(await send(key, { to: from, body: "hi" }), 422, "recipient_opted_out");
    const replies = await inboundList(key);
    expect(replies).toHaveLength(1);
    // The raw payload keeps the message, not the operator's API key or the signature.
    expect(replies[0].raw).toContain(fields.messageId);
    expect(replies[0].raw).not.toMatch(/api-key|test_vonage_key|"sig"|sig=/);
  });

  it("refuses a badly signed message with 401, and 422s one that lacks the sender", async () => {
    const { key, own } = await tenantWithNumber();
    await expectProblem(await postVonage("/webhooks/vonage/inbound", vonageInbound(number(), own, "STOP"), { secret: "other" }), 401, "invalid_signature");
    expect(await inboundList(key)).toEqual([]);
    const { msisdn: _, ...noSender } = vonageInbound(number(), own, "hi");
    const problem = await expectProblem(await postVonage("/webhooks/vonage/inbound", noSender), 422, "validation_failed");
    expect(problem.errors).toEqual([{ path: "body.msisdn", message: "required" }]);
  });
});
