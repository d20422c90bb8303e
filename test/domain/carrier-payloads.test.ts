import { describe, expect, it } from "vitest";
import { tenantPayload } from "../../src/domain/carrier-payloads";

describe("raw carrier payloads shown to tenants", () => {
  it("drop Twilio's account SID from a form, keeping every other field in order", () => {
    expect(tenantPayload("MessageSid=SM1&AccountSid=AC123&MessageStatus=delivered&ApiVersion=2010-04-01")).toBe(
      "MessageSid=SM1&MessageStatus=delivered&ApiVersion=2010-04-01",
    );
  });

  it("drop Vonage's API key, signature and price from JSON, nested and in arrays too", () => {
    const raw = JSON.stringify({ messageId: "m1", "api-key": "abc", sig: "deadbeef", price: "0.0333", status: "delivered", parts: [{ "message-price": "1" }] });
    expect(JSON.parse(tenantPayload(raw))).toEqual({ messageId: "m1", status: "delivered", parts: [{}] });
  });

  it("leave a payload without operator fields as it was", () => {
    expect(tenantPayload('{"short_message":"id:1 stat:DELIVRD"}')).toBe('{"short_message":"id:1 stat:DELIVRD"}');
  });
});
