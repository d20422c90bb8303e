import { afterEach, describe, expect, it, vi } from "vitest";
import { log, maskPhone } from "../../src/lib/log";

describe("log masking", () => {
  afterEach(() => vi.restoreAllMocks());

  it("keeps the first six and last four characters of an E.164 number", () => {
    expect(maskPhone("to +8613800138000 now")).toBe("to +86138****8000 now");
    expect(maskPhone('{"to":"+14155550123"}')).toBe('{"to":"+14155****0123"}');
  });

  it("leaves timestamps and ids alone", () => {
    const line = '{"at":"2026-11-25T13:15:33.000Z","id":"msg_01M89DYA6WAXR96V23AB90CPQC"}';
    expect(maskPhone(line)).toBe(line);
  });

  it("never writes a full number", () => {
    const spy = vi.spyOn(console, "warn").mockImplementation(() => {});
    log.warn("send_failed", { to: "+8613800138000" });
    expect(spy.mock.calls[0]![0]).not.toContain("+8613800138000");
    expect(spy.mock.calls[0]![0]).toContain("+86138****8000");
  });
});
