import { describe, expect, it } from "vitest";
import { analyzeBody } from "../../src/domain/encoding";

describe("analyzeBody", () => {
  it("uses GSM-7 for plain text and fits 160 characters in one segment", () => {
    expect(analyzeBody("a".repeat(160))).toEqual({ encoding: "GSM-7", units: 160, segments: 1 });
    expect(analyzeBody("a".repeat(161))).toEqual({ encoding: "GSM-7", units: 161, segments: 2 });
  });

  it("packs 153 septets into each concatenated GSM-7 segment", () => {
    expect(analyzeBody("a".repeat(306)).segments).toBe(2);
    expect(analyzeBody("a".repeat(307)).segments).toBe(3);
  });

  it("counts extension characters as two septets", () => {
    expect(analyzeBody("€[]{}\\^~|")).toEqual({ encoding: "GSM-7", units: 18, segments: 1 });
    expect(analyzeBody("€".repeat(80)).segments).toBe(1);
    expect(analyzeBody("€".repeat(81)).segments).toBe(2);
  });

  it("never splits an escape sequence across segments", () => {
    // 152 plain septets then a euro: it does not fit in the 153rd septet, so it starts part two.
    const body = "a".repeat(152) + "€" + "a".repeat(152);
    expect(analyzeBody(body)).toEqual({ encoding: "GSM-7", units: 306, segments: 3 });
  });

  it("treats GSM accented letters as one septet and other accents as UCS-2", () => {
    expect(analyzeBody("Ça coûte 5€ à Zürich").encoding).toBe("UCS-2"); // û is not in GSM 03.38
    expect(analyzeBody("Çà èé ÄÖÑÜ äöñü ß £$¥")).toMatchObject({ encoding: "GSM-7", units: 21 });
  });

  it("switches to UCS-2 for Chinese text, 70 characters a segment, 67 when concatenated", () => {
    expect(analyzeBody("你".repeat(70))).toEqual({ encoding: "UCS-2", units: 70, segments: 1 });
    expect(analyzeBody("你".repeat(71))).toEqual({ encoding: "UCS-2", units: 71, segments: 2 });
    expect(analyzeBody("你".repeat(134)).segments).toBe(2);
    expect(analyzeBody("你".repeat(135)).segments).toBe(3);
  });

  it("counts an emoji outside the BMP as two UTF-16 units and keeps its pair together", () => {
    expect(analyzeBody("😀")).toEqual({ encoding: "UCS-2", units: 2, segments: 1 });
    expect(analyzeBody("😀".repeat(35)).segments).toBe(1);
    expect(analyzeBody("😀".repeat(36)).segments).toBe(2);
    // 134 units would fit two parts of 67, but the pair cannot straddle the first boundary.
    expect(analyzeBody("你".repeat(66) + "😀" + "你".repeat(66))).toEqual({ encoding: "UCS-2", units: 134, segments: 3 });
  });
});
