import { describe, expect, it } from "vitest";
import { displayPrefix, generateApiKey, parseApiKey } from "../../src/domain/api-key";
import { randomBytes } from "../../src/lib/crypto";

describe("API keys", () => {
  it("are sk_<mode>_ and 32 base62 characters, and parse back to their mode", () => {
    const key = generateApiKey("live", randomBytes);
    expect(key).toMatch(/^sk_live_[0-9A-Za-z]{32}$/);
    expect(parseApiKey(key)).toEqual({ mode: "live" });
    expect(parseApiKey(generateApiKey("test", randomBytes))).toEqual({ mode: "test" });
  });

  it("differ every time", () => {
    const keys = new Set(Array.from({ length: 200 }, () => generateApiKey("test", randomBytes)));
    expect(keys.size).toBe(200);
  });

  it("draw characters without bias: bytes of 248 and above are rejected, not folded", () => {
    // A source that first gives only rejectable bytes, then the byte 61 → "z".
    let calls = 0;
    const source = (n: number) => new Uint8Array(n).fill(calls++ === 0 ? 255 : 61);
    expect(generateApiKey("test", source)).toBe(`sk_test_${"z".repeat(32)}`);
  });

  it("refuse anything malformed", () => {
    for (const bad of ["", "sk_test_short", "sk_prod_" + "a".repeat(32), "sk_test_" + "a".repeat(31) + "!", "Bearer x"]) {
      expect(parseApiKey(bad)).toBeNull();
    }
  });

  it("show only mode and four secret characters", () => {
    expect(displayPrefix("sk_test_AbCd" + "x".repeat(28))).toBe("sk_test_AbCd");
    expect(displayPrefix("sk_live_WxYz" + "x".repeat(28))).toBe("sk_live_WxYz");
  });
});
