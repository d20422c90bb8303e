import { describe, expect, it } from "vitest";
import { parsePhone } from "../../src/domain/phone";

describe("parsePhone", () => {
  it("normalises international and national formats to E.164", () => {
    expect(parsePhone("+86 138-0013-8000")).toEqual({ ok: true, e164: "+8613800138000", country: "CN", type: "mobile" });
    expect(parsePhone("13800138000", "CN")).toEqual({ ok: true, e164: "+8613800138000", country: "CN", type: "mobile" });
    expect(parsePhone("(415) 555-2671", "US")).toMatchObject({ ok: true, e164: "+14155552671" });
    expect(parsePhone("+44 7911 123456")).toMatchObject({ ok: true, e164: "+447911123456" });
  });

  it.each([
    ["hello", undefined, "not_a_number"],
    ["13800138000", undefined, "invalid_country_code"],
    ["+999 1234567", undefined, "invalid_country_code"],
    ["13800138000", "ZZ", "invalid_country_code"],
    ["+86 138", undefined, "too_short"],
    ["+86 1380013800012345", undefined, "too_long"],
    ["+1 415 555 26", undefined, "too_short"],
    ["+44 9999 9999", undefined, "invalid_length"],
    ["+1 099 555 2671", undefined, "invalid_for_region"],
  ])("says why %s (country %s) is invalid: %s", (input, country, reason) => {
    const result = parsePhone(input, country);
    expect(result).toMatchObject({ ok: false, reason });
    if (!result.ok) expect(result.detail).toContain(input);
  });
});
