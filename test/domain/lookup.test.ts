import { describe, expect, it } from "vitest";
import { lookupNumber, smsCapable } from "../../src/domain/phone";

describe("number lookup", () => {
  it.each([
    ["+447400123456", undefined, "+447400123456", "GB", "mobile"],
    ["+44 20 7183 8750", undefined, "+442071838750", "GB", "fixed_line"],
    ["020 7183 8750", "GB", "+442071838750", "GB", "fixed_line"],
    ["+49 1512 3456789", undefined, "+4915123456789", "DE", "mobile"],
    ["+49 30 12345678", undefined, "+493012345678", "DE", "fixed_line"],
    ["13800138000", "CN", "+8613800138000", "CN", "mobile"],
    ["+86 10 1234 5678", undefined, "+861012345678", "CN", "fixed_line"],
    ["+33 6 12 34 56 78", undefined, "+33612345678", "FR", "mobile"],
    ["(415) 555-0123", "US", "+14155550123", "US", "fixed_line_or_mobile"],
    ["+1 800 234 5678", undefined, "+18002345678", "US", "toll_free"],
    ["+1 900 234 5678", undefined, "+19002345678", "US", "premium_rate"],
  ])("classifies %s (hint %s) as %s, %s, %s", (input, country, e164, region, type) => {
    expect(lookupNumber(input, country)).toMatchObject({ input, valid: true, e164, country: region, type, reason: null });
  });

  it.each([
    ["+4420", undefined, "too_short"],
    ["+999 1234 5678", undefined, "invalid_country_code"],
    ["2071838750", undefined, "invalid_country_code"],
    ["020 7183 8750", "XX", "invalid_country_code"],
    ["+44 20 7183 87501234", undefined, "too_long"],
    ["hello", undefined, "not_a_number"],
  ])("explains why %s (hint %s) is invalid: %s", (input, country, reason) => {
    const result = lookupNumber(input, country);
    expect(result).toMatchObject({ valid: false, e164: null, type: null, sms_capable: false, reason });
    expect(result.detail).toContain(input);
  });

  it("treats fixed lines and premium numbers as unable to take SMS, and mobile-or-fixed as able", () => {
    expect(smsCapable("mobile")).toBe(true);
    expect(smsCapable("fixed_line_or_mobile")).toBe(true);
    expect(smsCapable("voip")).toBe(true);
    expect(smsCapable("unknown")).toBe(true);
    expect(smsCapable("fixed_line")).toBe(false);
    expect(smsCapable("premium_rate")).toBe(false);
  });
});
