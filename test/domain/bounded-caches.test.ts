import { describe, expect, it } from "vitest";
import { TtlCache } from "../../src/lib/ttl-cache";
import { isTimeZone, offsetMinutes, zoneFormatterCount } from "../../src/domain/stats";
import { compiledPatternCount, findBlocked } from "../../src/domain/content-policy";

describe("caches keyed by client input stay bounded", () => {
  it("a TtlCache drops its oldest entry past its bound", () => {
    const cache = new TtlCache<number>(Number.POSITIVE_INFINITY, 3);
    for (let i = 0; i < 10; i++) cache.set(`k${i}`, i);
    expect(cache.size).toBe(3);
    expect([cache.get("k6"), cache.get("k7"), cache.get("k9")]).toEqual([undefined, 7, 9]);
  });

  it("time zones in any letter case are one zone, and thousands of spellings do not grow memory without bound", () => {
    const at = Date.UTC(2026, 6, 1);
    expect(offsetMinutes("america/new_york", at)).toBe(offsetMinutes("America/New_York", at));
    const spellings = Array.from({ length: 2_000 }, (_, i) =>
      [..."america/new_york"].map((ch, j) => ((i >> j) & 1 ? ch.toUpperCase() : ch)).join(""),
    );
    for (const tz of spellings) expect(isTimeZone(tz)).toBe(true);
    expect(zoneFormatterCount()).toBe(1);
  });

  it("thousands of distinct tenant patterns are compiled within the cache's bound", () => {
    for (let i = 0; i < 5_000; i++) findBlocked("hello", [{ id: `r${i}`, label: "x", kind: "pattern", value: `unique${i}` }]);
    expect(compiledPatternCount()).toBe(2_000);
  });
});
