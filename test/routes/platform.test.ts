import { OpenAPIHono } from "@hono/zod-openapi";
import { describe, expect, it, vi } from "vitest";
import { app } from "../../src/app";
import { onError } from "../../src/lib/problem";
import { ERRORS } from "../../src/lib/errors";
import { call, expectProblem, okJson } from "../helpers/api";

describe("platform routes", () => {
  it("GET /health/live answers without authentication or any dependency", async () => {
    expect(await okJson(await call("/health/live"), 200)).toEqual({ status: "ok" });
  });

  it("answers an unknown route with a problem document, and echoes a request id", async () => {
    const response = await call("/v2/nothing", { headers: { "x-request-id": "req-123" } });
    expect(response.headers.get("x-request-id")).toBe("req-123");
    const problem = await expectProblem(response, 404, "not_found");
    expect(problem).toMatchObject({ request_id: "req-123" });
  });

  it("renders an unexpected exception as a 500 that leaks nothing", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const broken = new OpenAPIHono().get("/boom", () => {
      throw new Error("D1_ERROR: secret table internals at worker.js:42");
    });
    broken.onError(onError as never);
    const response = await broken.request("/boom");
    expect(response.status).toBe(500);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    const text = await response.text();
    expect(text).not.toMatch(/secret|D1_ERROR|worker\.js/);
    expect(JSON.parse(text)).toMatchObject({ code: "internal_error", status: 500 });
  });
});

describe("OpenAPI document", () => {
  it("documents every route the app serves, with its errors", async () => {
    const doc = await okJson(await call("/openapi.json"), 200);
    expect(doc.openapi).toBe("3.1.0");
    const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
    );
    const served = app.routes
      .filter((r) => r.method !== "ALL" && !["/openapi.json", "/docs"].includes(r.path))
      // Twilio's `/Messages/{Sid}.json` is routed as a parameter with a pattern (`:Sid{[^/]+\.json}`).
      .map((r) => `${r.method} ${r.path.replace(/:(\w+)\{[^}]*\\\.json\}/g, "{$1}.json").replace(/:(\w+)/g, "{$1}")}`);
    expect([...new Set(documented)].sort()).toEqual([...new Set(served)].sort());
    expect(documented).toEqual(
      expect.arrayContaining([
        "POST /v1/messages",
        "GET /v1/messages",
        "GET /v1/messages/{id}",
        "GET /v1/keys",
        "POST /v1/keys",
        "DELETE /v1/keys/{id}",
        "POST /v1/admin/tenants",
        "GET /v1/admin/tenants/{id}",
        "POST /v1/admin/tenants/{id}/keys",
        "DELETE /v1/admin/tenants/{id}/keys/{key_id}",
        "POST /webhooks/simulator/status",
        "GET /health",
        "GET /v1/account",
        "PATCH /v1/admin/tenants/{id}",
        "POST /v1/admin/tenants/{id}/credit",
        "GET /v1/admin/tenants/{id}/ledger",
        "GET /v1/admin/prices",
        "PUT /v1/admin/prices/{country}",
        "POST /v1/templates",
        "GET /v1/templates",
        "GET /v1/templates/{id}",
        "PATCH /v1/templates/{id}",
        "DELETE /v1/templates/{id}",
        "POST /v1/senders",
        "GET /v1/senders",
        "GET /v1/senders/{id}",
        "POST /v1/senders/{id}/default",
        "DELETE /v1/senders/{id}",
        "GET /v1/content-rules",
        "PUT /v1/content-rules",
        "GET /v1/admin/templates",
        "POST /v1/admin/templates/{id}/approve",
        "POST /v1/admin/templates/{id}/reject",
        "GET /v1/admin/senders",
        "POST /v1/admin/senders/{id}/approve",
        "POST /v1/admin/senders/{id}/reject",
        "GET /v1/admin/content-rules",
        "PUT /v1/admin/content-rules",
        "POST /v1/numbers/lookup",
        "PUT /v1/blocklist/{number}",
        "DELETE /v1/blocklist/{number}",
        "GET /v1/blocklist",
        "POST /v1/blocklist/import",
        "PUT /v1/allowlist/{number}",
        "DELETE /v1/allowlist/{number}",
        "GET /v1/allowlist",
        "POST /webhooks/simulator/inbound",
        "POST /v1/admin/tenants/{id}/numbers",
        "GET /v1/inbound",
        "GET /v1/keywords",
        "PUT /v1/keywords",
        "POST /v1/contacts/import",
        "GET /v1/contacts",
        "GET /v1/contacts/{id}",
        "PATCH /v1/contacts/{id}",
        "DELETE /v1/contacts/{id}",
        "POST /v1/groups",
        "GET /v1/groups",
        "GET /v1/groups/{id}",
        "PATCH /v1/groups/{id}",
        "DELETE /v1/groups/{id}",
        "POST /v1/groups/{id}/members",
        "DELETE /v1/groups/{id}/members/{contact_id}",
      ]),
    );
    const send = doc.paths["/v1/messages"].post;
    for (const status of ["202", "400", "401", "402", "409", "413", "415", "422", "429", "500"]) {
      expect(send.responses[status], status).toBeDefined();
    }
    // One success body: the dry run has its own operation.
    expect(Object.keys(send.responses).filter((status) => status.startsWith("2"))).toEqual(["202"]);
    expect(Object.keys(doc.paths["/v1/messages/dry-run"].post.responses).filter((status) => status.startsWith("2"))).toEqual(["200"]);
    expect(Object.keys(send.responses["429"].headers)).toEqual(["Retry-After", "RateLimit-Policy", "RateLimit"]);
    expect(Object.keys(send.responses["202"].headers)).toEqual(["RateLimit-Policy", "RateLimit"]);
    expect(send.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`)).toEqual(
      expect.arrayContaining(["header:idempotency-key"]),
    );
    expect(send.responses["422"].content["application/problem+json"]).toBeDefined();
    expect(doc.components.schemas.Problem.properties.code.enum.sort()).toEqual(Object.keys(ERRORS).sort());
    expect(doc.components.securitySchemes.ApiKey).toMatchObject({ type: "http", scheme: "bearer" });
  });

  it("serves an interactive reference at /docs", async () => {
    const response = await call("/docs");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/text\/html/);
    expect(await response.text()).toContain("/openapi.json");
  });
});
