import { createHmac } from "node:crypto";
import { delay, http, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import type { OutboundSms } from "../../src/carriers/types";
import { createVonage, parseVonageReceipt, vonageSignature, verifyVonageSignature } from "../../src/carriers/vonage";
import { mockNetwork } from "../helpers/network";

const network = mockNetwork();
const SMS_URL = "https://rest.nexmo.com/sms/json";
const vonage = (timeoutMs = 2_000) => createVonage({ apiKey: "key1", apiSecret: "secret1", statusCallback: "https://gw.example/webhooks/vonage/status", timeoutMs });
const sms: OutboundSms = { messageId: "msg_1", reference: "msg_1.SHARD_2", to: "+447911123456", from: "Acme", body: "Hello", segments: 1, encoding: "GSM-7" };

/** The SMS API's documented answer: always 200, one entry per part. */
const answer = (...messages: Record<string, string>[]) => HttpResponse.json({ "message-count": String(messages.length), messages });

describe("Vonage adapter: submit", () => {
  it("posts the message with its credentials, receipt callback and our id and shard as client-ref", async () => {
    let body: Record<string, unknown> | undefined;
    network.use(
      http.post(SMS_URL, async ({ request }) => {
        body = (await request.json()) as Record<string, unknown>;
        return answer({ to: "447911123456", "message-id": "0A0000000123ABCD1", status: "0", "remaining-balance": "3.14", "message-price": "0.033", network: "23410" });
      }),
    );
    expect(await vonage().submit(sms)).toEqual({ ok: true, carrierMessageIds: ["0A0000000123ABCD1"] });
    expect(body).toEqual({
      api_key: "key1",
      api_secret: "secret1",
      from: "Acme",
      to: "447911123456",
      text: "Hello",
      type: "text",
      "client-ref": "msg_1.SHARD_2",
      "status-report-req": 1,
      callback: "https://gw.example/webhooks/vonage/status",
    });
  });

  it("reads a 200 whose body is not the SMS API's answer as an unknown outcome, not a refusal", async () => {
    network.use(http.post(SMS_URL, () => new HttpResponse("upstream hiccup", { status: 200 })));
    expect(await vonage().submit(sms)).toMatchObject({ ok: false, retryable: false, unknown: true, code: "carrier_answer_unreadable" });
  });

  it("returns one id per part of a long message, and sends UCS-2 as unicode", async () => {
    let type: unknown;
    network.use(
      http.post(SMS_URL, async ({ request }) => {
        type = ((await request.json()) as { type: string }).type;
        return answer({ "message-id": "0A01", status: "0" }, { "message-id": "0A02", status: "0" }, { "message-id": "0A03", status: "0" });
      }),
    );
    expect(await vonage().submit({ ...sms, segments: 3, encoding: "UCS-2" })).toEqual({ ok: true, carrierMessageIds: ["0A01", "0A02", "0A03"] });
    expect(type).toBe("unicode");
  });

  it.each([
    ["1", "Throttled", true, "carrier_throttled"],
    ["4", "Bad Credentials", true, "carrier_auth_failed"],
    ["5", "Internal Error", true, "carrier_unavailable"],
    ["9", "Partner quota violation", true, "carrier_quota_exceeded"],
    ["3", "Invalid value for param: to", false, "rejected_by_carrier"],
    ["7", "The number you are trying to send messages to is on the list of barred numbers", false, "recipient_blocked"],
    ["33", "Number de-activated", false, "invalid_number"],
  ])("maps status %s (%s)", async (status, text, retryable, code) => {
    network.use(http.post(SMS_URL, () => answer({ status, "error-text": text })));
    expect(await vonage().submit(sms)).toMatchObject({ ok: false, retryable, code, message: `Vonage status ${status}: ${text}` });
  });

  it("treats HTTP 5xx, a timeout and a network error as transient", async () => {
    network.use(http.post(SMS_URL, () => new HttpResponse("bad gateway", { status: 502 })));
    expect(await vonage().submit(sms)).toMatchObject({ ok: false, retryable: true, code: "carrier_unavailable" });
    network.use(http.post(SMS_URL, async () => (await delay(500), answer({ "message-id": "late", status: "0" }))));
    expect(await vonage(50).submit(sms)).toMatchObject({ ok: false, retryable: true, code: "carrier_timeout" });
    network.use(http.post(SMS_URL, () => HttpResponse.error()));
    expect(await vonage().submit(sms)).toMatchObject({ ok: false, retryable: true, code: "carrier_unreachable" });
  });

  it("needs a sender, and says so as a failure another carrier may not have", async () => {
    expect(await vonage().submit({ ...sms, from: null })).toMatchObject({ ok: false, retryable: true, code: "sender_required" });
  });
});

describe("Vonage delivery receipts", () => {
  const dlr = (status: string, errCode = "0") => ({
    msisdn: "447911123456",
    to: "Acme",
    "network-code": "23410",
    messageId: "0A0000000123ABCD1",
    price: "0.03330000",
    status,
    scts: "2611291030",
    "err-code": errCode,
    "message-timestamp": "2026-11-29 10:30:12",
  });

  it.each([
    ["delivered", "0", "delivered", null],
    ["accepted", "0", "sent", null],
    ["buffered", "0", "sent", null],
    ["failed", "2", "undelivered", "handset_unreachable"],
    ["rejected", "6", "undelivered", "filtered_by_carrier"],
    ["expired", "0", "undelivered", "carrier_expired"],
    ["unknown", "1", null, null],
  ])("reads status=%s err-code=%s", (status, err, ours, errorCode) => {
    expect(parseVonageReceipt(dlr(status, err))).toEqual({
      carrierMessageId: "0A0000000123ABCD1",
      status: ours,
      errorCode,
      carrierStatus: status,
      carrierTime: "2026-11-29 10:30:12",
      reference: null,
    });
  });

  it("verifies Vonage's SHA-256 HMAC signature over the sorted fields, and refuses stale or altered ones", async () => {
    const now = 1_795_000_000;
    const fields = { ...dlr("delivered"), timestamp: String(now), nonce: "a&b=c" };
    // An independent implementation: &name=value pairs sorted by name, & and = in values as _.
    const content = Object.keys(fields)
      .sort()
      .map((k) => `&${k}=${(fields as Record<string, string>)[k]!.replace(/[&=]/g, "_")}`)
      .join("");
    const sig = createHmac("sha256", "sig-secret").update(content).digest("hex").toUpperCase();
    expect((await vonageSignature("sig-secret", fields)).toUpperCase()).toBe(sig);
    expect(await verifyVonageSignature("sig-secret", { ...fields, sig }, now)).toBeNull();
    expect(await verifyVonageSignature("sig-secret", { ...fields, sig, status: "failed" }, now)).toBe("no signature matches");
    expect(await verifyVonageSignature("sig-secret", { ...fields, sig }, now + 301)).toMatch(/tolerance/);
    expect(await verifyVonageSignature("sig-secret", fields, now)).toBe("no sig parameter");
  });
});
