import { createHmac } from "node:crypto";
import { delay, http, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import { createTwilio, parseTwilioStatus, twilioSignature, verifyTwilioSignature } from "../../src/carriers/twilio";
import type { OutboundSms } from "../../src/carriers/types";
import { mockNetwork } from "../helpers/network";

const network = mockNetwork();
const SID = "AC11111111111111111111111111111111";
const TOKEN = "twilio-token";
const MESSAGES_URL = `https://api.twilio.com/2010-04-01/Accounts/${SID}/Messages.json`;
const twilio = (timeoutMs = 2_000) =>
  createTwilio({ accountSid: SID, authToken: TOKEN, statusCallback: "https://gw.example/webhooks/twilio/status", messagingServiceSid: "MG123", timeoutMs });
const sms: OutboundSms = { messageId: "msg_1", reference: "msg_1.SHARD_2", to: "+14155550123", from: "+14155550100", body: "Your code is 123456", segments: 1, encoding: "GSM-7" };

/** Twilio's documented error body. */
const twilioError = (status: number, code: number, message: string) =>
  HttpResponse.json({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status }, { status });

describe("Twilio adapter: submit", () => {
  it("posts the message form-encoded with Basic auth and a status callback, and returns the Message SID", async () => {
    let seen: { auth: string | null; type: string | null; form: URLSearchParams } | undefined;
    network.use(
      http.post(MESSAGES_URL, async ({ request }) => {
        seen = { auth: request.headers.get("authorization"), type: request.headers.get("content-type"), form: new URLSearchParams(await request.text()) };
        return HttpResponse.json({ sid: "SM0123456789abcdef0123456789abcdef", status: "queued", to: sms.to, from: sms.from }, { status: 201 });
      }),
    );
    expect(await twilio().submit(sms)).toEqual({ ok: true, carrierMessageIds: ["SM0123456789abcdef0123456789abcdef"] });
    expect(seen!.auth).toBe(`Basic ${btoa(`${SID}:${TOKEN}`)}`);
    expect(seen!.type).toMatch(/^application\/x-www-form-urlencoded/);
    expect(Object.fromEntries(seen!.form)).toEqual({
      To: sms.to,
      From: sms.from,
      Body: sms.body,
      StatusCallback: "https://gw.example/webhooks/twilio/status?message_id=msg_1.SHARD_2",
    });
  });

  it("sends a message with no sender through the Messaging Service", async () => {
    let form: URLSearchParams | undefined;
    network.use(http.post(MESSAGES_URL, async ({ request }) => ((form = new URLSearchParams(await request.text())), HttpResponse.json({ sid: "SMx" }, { status: 201 }))));
    await twilio().submit({ ...sms, from: null });
    expect(form!.get("MessagingServiceSid")).toBe("MG123");
    expect(form!.has("From")).toBe(false);
  });

  it("needs a sender or a Messaging Service, and says so as a failure another carrier may not have", async () => {
    const bare = createTwilio({ accountSid: SID, authToken: TOKEN, statusCallback: null });
    expect(await bare.submit({ ...sms, from: null })).toMatchObject({ ok: false, retryable: true, code: "sender_required" });
  });

  it.each([
    [400, 21211, "The 'To' number +1415 is not a valid phone number.", { retryable: false, code: "invalid_number" }],
    [400, 21610, "Attempt to send to unsubscribed recipient", { retryable: false, code: "recipient_opted_out" }],
    [400, 21614, "'To' number is not a valid mobile number", { retryable: false, code: "number_not_sms_capable" }],
    [400, 21999, "Something new", { retryable: false, code: "rejected_by_carrier" }],
    [400, 21408, "Permission to send an SMS has not been enabled for the region", { retryable: true, code: "region_not_permitted" }],
    [401, 20003, "Authenticate", { retryable: true, code: "carrier_auth_failed" }],
    [429, 20429, "Too Many Requests", { retryable: true, code: "carrier_throttled" }],
    [500, 20500, "Internal Server Error", { retryable: true, code: "carrier_unavailable" }],
    [503, 20503, "Service Unavailable", { retryable: true, code: "carrier_unavailable" }],
  ])("maps HTTP %i with Twilio error %i", async (status, code, message, expected) => {
    network.use(http.post(MESSAGES_URL, () => twilioError(status, code, message)));
    const result = await twilio().submit(sms);
    expect(result).toMatchObject({ ok: false, ...expected });
    expect(result.ok === false && result.message).toContain(String(code));
  });

  it("treats a carrier that does not answer in time as transient", async () => {
    network.use(http.post(MESSAGES_URL, async () => (await delay(500), HttpResponse.json({ sid: "SMlate" }, { status: 201 }))));
    expect(await twilio(50).submit(sms)).toMatchObject({ ok: false, retryable: true, code: "carrier_timeout" });
  });

  it("reads a 2xx without a Message SID as an unknown outcome, not a refusal", async () => {
    network.use(http.post(MESSAGES_URL, () => new HttpResponse("<html>ok</html>", { status: 201, headers: { "content-type": "text/html" } })));
    expect(await twilio().submit(sms)).toMatchObject({ ok: false, retryable: false, unknown: true, code: "carrier_answer_unreadable" });
  });

  it("treats a network error as transient", async () => {
    network.use(http.post(MESSAGES_URL, () => HttpResponse.error()));
    expect(await twilio().submit(sms)).toMatchObject({ ok: false, retryable: true, code: "carrier_unreachable" });
  });
});

describe("Twilio status callbacks", () => {
  it.each([
    ["sent", "sent", null],
    ["delivered", "delivered", null],
    ["read", "delivered", null],
    ["queued", null, null],
    ["undelivered", "undelivered", "handset_unreachable"],
    ["failed", "failed", "filtered_by_carrier"],
  ])("reads MessageStatus=%s as %s", (carrierStatus, status, errorCode) => {
    const error = carrierStatus === "undelivered" ? "30003" : carrierStatus === "failed" ? "30007" : undefined;
    const parsed = parseTwilioStatus({ MessageSid: "SMabc", MessageStatus: carrierStatus, ...(error && { ErrorCode: error }) });
    expect(parsed).toMatchObject({ carrierMessageId: "SMabc", status, errorCode, carrierStatus });
  });

  it("keeps an unknown delivery error code recognisable", () => {
    expect(parseTwilioStatus({ MessageSid: "SMabc", MessageStatus: "undelivered", ErrorCode: "30999" })?.errorCode).toBe("twilio_30999");
  });

  it("signs as Twilio documents it: HMAC-SHA1 of the URL and the sorted fields, base64", async () => {
    const url = "https://gw.example/webhooks/twilio/status?x=1";
    const fields = { MessageStatus: "delivered", MessageSid: "SMabc", AccountSid: SID, ErrorCode: "" };
    // An independent implementation, with Node's crypto.
    const expected = createHmac("sha1", TOKEN).update(`${url}AccountSid${SID}ErrorCodeMessageSidSMabcMessageStatusdelivered`).digest("base64");
    expect(await twilioSignature(TOKEN, url, fields)).toBe(expected);
    expect(await verifyTwilioSignature(TOKEN, url, fields, expected)).toBe(true);
    expect(await verifyTwilioSignature(TOKEN, url, { ...fields, MessageStatus: "failed" }, expected)).toBe(false);
    expect(await verifyTwilioSignature(TOKEN, "https://gw.example/other", fields, expected)).toBe(false);
    expect(await verifyTwilioSignature(TOKEN, url, fields, undefined)).toBe(false);
  });
});
