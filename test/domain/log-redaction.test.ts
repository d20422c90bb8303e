import { afterEach, describe, expect, it, vi } from "vitest";
import { messages } from "../../src/db/schema";
import { log, redact } from "../../src/lib/log";
import { createTenant } from "../helpers/api";
import { dbOf, insertQueuedMessage, number } from "../helpers/seed";

afterEach(() => vi.restoreAllMocks());

describe("logs keep bound SQL parameters out", () => {
  it("a failed D1 statement is logged with its SQL and without its parameters", async () => {
    const to = number();
    const { tenantId } = await createTenant();
    const row = await insertQueuedMessage(tenantId, to);
    // The same id again: the insert fails, and drizzle's error carries every bound value.
    const error = await (await dbOf(tenantId))
      .insert(messages)
      .values({ ...row, body: "Your secret code is 864209" })
      .then(() => null, (e: unknown) => e);
    expect(String(error)).toContain("864209");
    const lines: string[] = [];
    vi.spyOn(console, "error").mockImplementation((line: string) => void lines.push(line));
    log.error("unhandled_error", { error: String((error as Error).stack ?? error) });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("insert into \\\"messages\\\"");
    expect(lines[0]).toContain("params: [redacted]");
    expect(lines[0]).not.toContain("864209");
    expect(lines[0]).not.toContain(to.slice(-6));
  });

  it("keeps what follows the parameters' line, and text without parameters as it was", () => {
    expect(redact('{"e":"Failed query: select 1\\nparams: +14155550123,hello\\n    at f (x.ts:1)"}')).toBe(
      '{"e":"Failed query: select 1\\nparams: [redacted]\\n    at f (x.ts:1)"}',
    );
    expect(redact('{"e":"no parameters here"}')).toBe('{"e":"no parameters here"}');
  });
});
