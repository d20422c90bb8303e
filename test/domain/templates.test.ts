import { describe, expect, it } from "vitest";
import { findBlocked, hasOptOut, linkHosts, linkViolation, skeleton, withOptOut, type ContentRule } from "../../src/domain/content-policy";
import { normalizeSenderValue, senderFormatError, withSignature } from "../../src/domain/senders";
import { paramErrors, parsePlaceholders, prescreenTemplate, render } from "../../src/domain/templates";

const noBlocks = { blocked: () => null, hasOptOut };

describe("placeholders", () => {
  it("finds each {{name}} once, and names the malformed and the repeated", () => {
    expect(parsePlaceholders("Hi {{first_name}}, code {{code}}")).toEqual({ names: ["first_name", "code"], malformed: [], duplicated: [] });
    expect(parsePlaceholders("{{Code}} {{ code }} {{}} {{9x}} {{code}} {{code}}")).toEqual({
      names: ["code"],
      malformed: ["{{Code}}", "{{ code }}", "{{}}", "{{9x}}"],
      duplicated: ["{{code}}"],
    });
    expect(parsePlaceholders("Hi {{name").malformed).toEqual(["unbalanced {{ or }}"]);
    expect(parsePlaceholders("Hi name}}").malformed).toEqual(["unbalanced {{ or }}"]);
    expect(parsePlaceholders(`{{${"a".repeat(32)}}} {{${"a".repeat(33)}}}`).malformed).toEqual([`{{${"a".repeat(33)}}}`]);
  });

  it("renders values as plain text: a value that looks like a placeholder is sent literally", () => {
    expect(render("Hi {{name}}, your code is {{code}}", { name: "{{code}}", code: "1234" })).toBe("Hi {{code}}, your code is 1234");
    expect(render("Pay {{amount}}", { amount: "$& $1 $$" })).toBe("Pay $& $1 $$");
  });
});

describe("params of a send", () => {
  const otp = { placeholders: ["code", "name"], params: { name: { max_length: 10 } }, type: "otp" as const };

  it("lists every missing, unknown, too long or malformed value", () => {
    expect(paramErrors(otp, { code: "12", name: "x".repeat(11), extra: "1" })).toEqual([
      { path: "body.params.code", message: "an otp code is 4–10 digits" },
      { path: "body.params.name", message: "at most 10 characters" },
      { path: "body.params.extra", message: "unknown: the template has no such placeholder" },
    ]);
    expect(paramErrors(otp, {})).toEqual([
      { path: "body.params.code", message: "missing: the template has this placeholder" },
      { path: "body.params.name", message: "missing: the template has this placeholder" },
    ]);
    expect(paramErrors(otp, { code: "12345678901", name: "ok" })).toHaveLength(1);
    expect(paramErrors(otp, { code: "4321", name: "ok" })).toEqual([]);
  });

  it("allows 64 characters unless the template declares another length", () => {
    const notice = { placeholders: ["a"], params: {}, type: "notification" as const };
    expect(paramErrors(notice, { a: "x".repeat(64) })).toEqual([]);
    expect(paramErrors(notice, { a: "x".repeat(65) })).toEqual([{ path: "body.params.a", message: "at most 64 characters" }]);
    // Characters, not UTF-16 units: 64 emoji are 64 characters.
    expect(paramErrors(notice, { a: "😀".repeat(64) })).toEqual([]);
  });
});

describe("template pre-screen", () => {
  it("passes a sound template", () => {
    expect(prescreenTemplate({ body: "Your code is {{code}}", type: "otp", params: {} }, noBlocks)).toEqual([]);
    expect(prescreenTemplate({ body: "Sale today! Reply STOP to opt out", type: "marketing", params: {} }, noBlocks)).toEqual([]);
    expect(prescreenTemplate({ body: "【店铺】双十一大促 回T退订", type: "marketing", params: {} }, noBlocks)).toEqual([]);
  });

  it("lists every reason at once", () => {
    const reasons = prescreenTemplate(
      { body: "Win a casino prize {{Prize}} {{x}} {{x}}", type: "marketing", params: { y: { max_length: 5 } } },
      { blocked: (text) => (/casino/.test(text) ? "Gambling (rul_1)" : null), hasOptOut },
    );
    expect(reasons).toEqual([
      "malformed placeholder: {{Prize}}",
      "duplicated placeholder: {{x}}",
      'declared parameter "y" is not a placeholder in the body',
      "blocked content: Gambling (rul_1)",
      'a marketing template needs opt-out wording, e.g. "Reply STOP to opt out", 回T退订 or 拒收请回复R',
    ]);
  });

  it("rejects an otp template without {{code}}", () => {
    expect(prescreenTemplate({ body: "Your pin is {{pin}}", type: "otp", params: {} }, noBlocks)).toEqual([
      "an otp template needs a {{code}} placeholder",
    ]);
  });

  it("rejects a body that cannot fit 10 segments with its parameters at their longest", () => {
    const body = `${"a".repeat(1100)} {{note}}`;
    expect(prescreenTemplate({ body, type: "notification", params: {} }, noBlocks)).toEqual([]);
    expect(prescreenTemplate({ body, type: "notification", params: { note: { max_length: 500 } } }, noBlocks)).toEqual([
      "with every parameter at its maximum length the message needs 11 segments; at most 10 are allowed",
    ]);
    // A Chinese template is UCS-2: 67 characters a segment.
    const chinese = `${"字".repeat(640)}{{name}}`;
    expect(prescreenTemplate({ body: chinese, type: "notification", params: {} }, noBlocks)[0]).toMatch(/needs 11 segments/);
  });
});

describe("content rules", () => {
  const rules: ContentRule[] = [
    { id: "rul_word", label: "Gambling", kind: "word", value: "casino" },
    { id: "rul_cn", label: "Gambling (zh)", kind: "word", value: "赌博" },
    { id: "rul_pattern", label: "Loan spam", kind: "pattern", value: "loan\\s*approved" },
  ];

  it("sees through case, full-width letters, spaces and punctuation between letters", () => {
    for (const text of ["Visit our CASINO", "Ｃａｓｉｎｏ tonight", "c a s i n o", "c.a-s_i*n/o!", "CaSiNo"]) {
      expect(findBlocked(text, rules)?.id, text).toBe("rul_word");
    }
    expect(findBlocked("网上 赌 博", rules)?.id).toBe("rul_cn");
    expect(findBlocked("Your LOAN   approved today", rules)?.id).toBe("rul_pattern");
    expect(findBlocked("Meet at the casa in Reno", rules)).toBeNull();
  });

  it("normalises to letters and digits only", () => {
    expect(skeleton("Ｈｅｌｌｏ, W-o r l d! ①")).toBe("helloworld1");
  });
});

describe("link policy", () => {
  const open = { allowedDomains: [], enforceAllowedDomains: false, allowUrlShorteners: false };

  it("finds links with or without a scheme", () => {
    expect(linkHosts("See https://Shop.Acme.com/x?y=1, or bit.ly/abc. Mail: me@acme.com")).toEqual(["shop.acme.com", "bit.ly", "acme.com"]);
  });

  it("blocks public shorteners in marketing by default, not in other types, and not when registered", () => {
    expect(linkViolation("Deals at bit.ly/x", "marketing", open)?.id).toBe("links.url_shorteners");
    expect(linkViolation("Deals at https://t.cn/abc", "marketing", open)?.id).toBe("links.url_shorteners");
    expect(linkViolation("Track at bit.ly/x", "notification", open)).toBeNull();
    expect(linkViolation("Deals at bit.ly/x", "marketing", { ...open, allowUrlShorteners: true })).toBeNull();
    expect(linkViolation("Deals at bit.ly/x", "marketing", { ...open, allowedDomains: ["bit.ly"] })).toBeNull();
  });

  it("allows only registered domains and their subdomains when the tenant enforces it", () => {
    const strict = { ...open, allowedDomains: ["acme.com"], enforceAllowedDomains: true };
    expect(linkViolation("https://www.acme.com/a and acme.com", "notification", strict)).toBeNull();
    expect(linkViolation("https://acme.com.evil.io/login", "notification", strict)?.id).toBe("links.allowed_domains");
    expect(linkViolation("https://notacme.com", "notification", strict)?.id).toBe("links.allowed_domains");
  });
});

describe("opt-out wording", () => {
  it("recognises English and Chinese opt-out wording", () => {
    for (const text of ["Reply STOP to opt out", "Text STOP to end", "回T退订", "退订回T", "拒收请回复R", "回TD退订"]) expect(hasOptOut(text), text).toBe(true);
    expect(hasOptOut("Stop by our store!")).toBe(false);
  });

  it("appends the suffix to marketing bodies that lack it, in the body's language or the tenant's own", () => {
    expect(withOptOut("Sale today", "marketing", null)).toBe("Sale today Reply STOP to opt out");
    expect(withOptOut("双十一大促", "marketing", null)).toBe("双十一大促回T退订");
    expect(withOptOut("Sale today", "marketing", "STOP=stop")).toBe("Sale today STOP=stop");
    expect(withOptOut("Sale. Reply STOP to opt out", "marketing", null)).toBe("Sale. Reply STOP to opt out");
    expect(withOptOut("Your parcel is here", "notification", null)).toBe("Your parcel is here");
  });
});

describe("senders", () => {
  it("checks each kind's format", () => {
    expect(senderFormatError("ACME", "alphanumeric")).toBeNull();
    expect(senderFormatError("Acme Co 24", "alphanumeric")).toBeNull();
    expect(senderFormatError("12345", "alphanumeric")).toMatch(/at least one letter/);
    expect(senderFormatError("AB", "alphanumeric")).not.toBeNull();
    expect(senderFormatError("ACME-SHOP", "alphanumeric")).not.toBeNull();
    expect(senderFormatError("ACMEEXAMPLE1", "alphanumeric")).not.toBeNull();
    expect(senderFormatError("106900", "numeric")).toBeNull();
    expect(senderFormatError("+14155550100", "numeric")).toBeNull();
    expect(senderFormatError("12", "numeric")).not.toBeNull();
    expect(senderFormatError("阿里云", "signature")).toBeNull();
    expect(senderFormatError("阿", "signature")).not.toBeNull();
    expect(senderFormatError("【阿里云】", "signature")).not.toBeNull();
    expect(senderFormatError(" ACME", "alphanumeric")).not.toBeNull();
  });

  it("puts a signature in front of the body, in 【】, and takes `from` with or without the brackets", () => {
    expect(withSignature("您的验证码是1234", { kind: "signature", value: "阿里云" })).toBe("【阿里云】您的验证码是1234");
    expect(withSignature("Hi", { kind: "alphanumeric", value: "ACME" })).toBe("Hi");
    expect(normalizeSenderValue("【阿里云】")).toBe("阿里云");
    expect(normalizeSenderValue("ACME")).toBe("ACME");
  });
});
