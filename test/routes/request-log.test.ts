import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { app } from "../../src/app";
import { redact } from "../../src/lib/log";
import { createTenant, liveKeyOf } from "../helpers/api";

const NUMBER = "+8613812348000";
const MASKED = "+86138****8000";

/** Requests through the app with request lines on (tests run with LOG_LEVEL=warn), and every line written. */
function logged() {
  const lines: string[] = [];
  for (const method of ["log", "warn", "error"] as const) vi.spyOn(console, method).mockImplementation((line: string) => void lines.push(line));
  const request = async (path: string, init: RequestInit & { key: string }) => {
    const headers = new Headers(init.headers);
    headers.set("authorization", `Bearer ${init.key}`);
    const ctx = createExecutionContext();
    const response = await app.fetch(new Request(`http://gateway.test${path}`, { ...init, headers }), { ...env, LOG_LEVEL: "info" }, ctx);
    await waitOnExecutionContext(ctx);
    return response;
  };
  return { lines, request };
}

describe("request logs", () => {
  afterEach(() => vi.restoreAllMocks());

  it("write one JSON line per request with its id, tenant, route and status, and no number, key or body", async () => {
    const { tenantId, key } = await createTenant();
    const { lines, request } = logged();
    const body = JSON.stringify({ to: NUMBER, body: "Your code is 482913" });
    const sent = await request("/v1/messages", { method: "POST", key, body, headers: { "content-type": "application/json" } });
    expect(sent.status).toBe(202);
    await request(`/v1/messages?to=${encodeURIComponent(NUMBER)}`, { key });
    const live = await liveKeyOf(tenantId);
    await request(`/v1/blocklist/${encodeURIComponent(NUMBER)}`, { method: "PUT", key: live });
    await request(`/v1/blocklist/${NUMBER}`, { method: "DELETE", key: live });

    const requests = lines.map((line) => JSON.parse(line)).filter((line) => line.event === "request");
    expect(requests.map((r) => [r.method, r.route])).toEqual([
      ["POST", "/v1/messages"],
      ["GET", "/v1/messages"],
      ["PUT", "/v1/blocklist/:number"],
      ["DELETE", "/v1/blocklist/:number"],
    ]);
    expect(requests[0]).toMatchObject({ level: "info", request_id: sent.headers.get("x-request-id"), tenant_id: tenantId, status: 202 });
    expect(requests[0].duration_ms).toBeGreaterThanOrEqual(0);
    const all = lines.join("\n");
    expect(all).not.toContain("8613812348000");
    expect(all).not.toContain(key);
    expect(all).not.toContain("482913");
  });

  it("are written only at or above LOG_LEVEL", async () => {
    const { key } = await createTenant();
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
    await app.fetch(new Request("http://gateway.test/v1/messages", { headers: { authorization: `Bearer ${key}` } }), { ...env, LOG_LEVEL: "warn" }, createExecutionContext());
    expect(lines).toEqual([]);
  });
});

describe("redact", () => {
  it("masks numbers however they are written, and cuts keys to their mode", () => {
    expect(redact(`to ${NUMBER}`)).toBe(`to ${MASKED}`);
    expect(redact("/v1/blocklist/%2B8613812348000")).toBe("/v1/blocklist/%2B86138****8000");
    expect(redact('{"msisdn":"8613812348000"}')).toBe('{"msisdn":"86138****8000"}');
    expect(redact("Bearer sk_live_4fT9aQ2xY7_zz")).toBe("Bearer sk_live_****");
  });
});
