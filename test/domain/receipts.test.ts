import { describe, expect, it } from "vitest";
import { parseAlibabaReceipt } from "../../src/carriers/alibaba";
import { parseSmppReceipt, smppDate } from "../../src/carriers/smpp";
import { canonicalId, receiptIdCandidates } from "../../src/domain/carrier-ids";
import { aggregateParts } from "../../src/domain/receipts";
import { carrierOrder, nextCarrier } from "../../src/domain/routing";

describe("SMPP delivery receipt text", () => {
  it("reads every field, with dates with or without seconds", () => {
    const text = "id:0123456789 sub:001 dlvrd:001 submit date:2611291030 done date:261129103145 stat:DELIVRD err:000 text:Your code is 1234";
    expect(parseSmppReceipt(text)).toEqual({
      carrierMessageId: "0123456789",
      status: "delivered",
      errorCode: null,
      carrierStatus: "DELIVRD",
      carrierTime: "2026-11-29T10:31:45",
    });
    expect(smppDate("2611291030")).toBe("2026-11-29T10:30:00");
    expect(smppDate("26112910")).toBeNull();
  });

  it("maps failures with their error, ignores field case and what the text says", () => {
    expect(parseSmppReceipt("ID:1a2b SUB:001 DLVRD:000 SUBMIT DATE:2611291030 DONE DATE:2611291035 STAT:UNDELIV ERR:034 TEXT:stat:DELIVRD")).toMatchObject({
      carrierMessageId: "1a2b",
      status: "undelivered",
      errorCode: "smpp_err_034",
      carrierStatus: "UNDELIV",
    });
    expect(parseSmppReceipt("id:9 stat:EXPIRED err:000")).toMatchObject({ status: "undelivered", errorCode: "smpp_expired" });
    expect(parseSmppReceipt("id:9 stat:ENROUTE err:000")).toMatchObject({ status: "sent" });
    expect(parseSmppReceipt("id:9 stat:UNKNOWN err:000")).toMatchObject({ status: null });
    expect(parseSmppReceipt("hello there")).toBeNull();
  });
});

describe("carrier ids", () => {
  it("compares without case or leading zeros", () => {
    expect(canonicalId("0A0000000123ABCD1")).toBe("a0000000123abcd1");
    expect(canonicalId("SMabc")).toBe("smabc");
    expect(canonicalId("000")).toBe("0");
  });

  it("tries an SMPP receipt's id in hex and decimal", () => {
    expect(receiptIdCandidates("1715004", true)).toEqual(["1715004", "1a2b3c", "24203268"]);
    expect(receiptIdCandidates("1A2B3C", true)).toEqual(["1a2b3c", "1715004"]);
    expect(receiptIdCandidates("1A2B3C", false)).toEqual(["1a2b3c"]);
    expect(receiptIdCandidates("msg-xyz", true)).toEqual(["msg-xyz"]);
  });
});

describe("parts", () => {
  it("delivers a message when every part is delivered, and fails it on any undelivered part", () => {
    expect(aggregateParts(["delivered"])).toBe("delivered");
    expect(aggregateParts(["undelivered"])).toBe("undelivered");
    expect(aggregateParts(["failed"])).toBe("failed");
    expect(aggregateParts(["delivered", "sent", "sent"])).toBeNull();
    expect(aggregateParts(["delivered", "delivered", "delivered"])).toBe("delivered");
    expect(aggregateParts(["delivered", "undelivered", "sent"])).toBe("undelivered");
    expect(aggregateParts(["sent", "failed"])).toBe("undelivered");
  });
});

describe("Alibaba receipts", () => {
  it("reads success and failure", () => {
    const base = { phone_number: "13800138000", send_time: "2026-11-29 18:00:00", report_time: "2026-11-29 18:00:05", sms_size: "1", biz_id: "932702304080415357^0", out_id: "msg_1" };
    expect(parseAlibabaReceipt({ ...base, success: true, err_code: "DELIVERED", err_msg: "用户接收成功" })).toMatchObject({ status: "delivered", errorCode: null, carrierTime: "2026-11-29 18:00:05" });
    expect(parseAlibabaReceipt({ ...base, success: false, err_code: "MK:0012", err_msg: "失败" })).toMatchObject({ status: "undelivered", errorCode: "alibaba_mk:0012" });
  });
});

describe("routing", () => {
  const route = [{ carrier: "twilio" }, { carrier: "vonage" }, { carrier: "simulator" }];

  it("tries the route in order, wrapping around after the one that failed, and skips open circuits", () => {
    const order = carrierOrder(route, "msg_1");
    expect(order).toEqual(["twilio", "vonage", "simulator"]);
    expect(nextCarrier(order, null, () => false)).toBe("twilio");
    expect(nextCarrier(order, "twilio", () => false)).toBe("vonage");
    expect(nextCarrier(order, "simulator", () => false)).toBe("twilio");
    expect(nextCarrier(order, null, (c) => c === "twilio")).toBe("vonage");
    expect(nextCarrier(order, null, () => true)).toBeNull();
  });

  it("draws the first carrier by weight, the same for the same message", () => {
    const weighted = [{ carrier: "twilio", weight: 3 }, { carrier: "vonage", weight: 1 }];
    const firsts = Array.from({ length: 4000 }, (_, i) => carrierOrder(weighted, `msg_${i}`)[0]);
    const share = firsts.filter((c) => c === "twilio").length / firsts.length;
    expect(share).toBeGreaterThan(0.7);
    expect(share).toBeLessThan(0.8);
    expect(carrierOrder(weighted, "msg_42")).toEqual(carrierOrder(weighted, "msg_42"));
    expect(carrierOrder(weighted, "msg_x")).toHaveLength(2);
  });
});
