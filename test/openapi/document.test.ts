import { describe, expect, it } from "vitest";
import { call } from "../helpers/api";
import { busyTenant, concretePath, credentials, documentedOperations, problemKinds } from "../helpers/openapi";

const BODY_METHODS = new Set(["POST", "PUT", "PATCH"]);

/** Answers a request and checks the status is documented for the operation, as a problem if it is an error. */
async function expectDocumented(op: { method: string; path: string; statuses: Set<number> }, response: Response, what: string) {
  const text = await response.text();
  expect(op.statuses, `${op.method} ${op.path} (${what}) answered ${response.status}: ${text.slice(0, 200)}`).toContain(response.status);
  if (response.status >= 400) {
    expect(response.headers.get("content-type"), `${op.method} ${op.path} (${what})`).toBe("application/problem+json");
    const problem = JSON.parse(text);
    expect(problem.status).toBe(response.status);
    expect(typeof problem.code).toBe("string");
  }
}

describe("the OpenAPI document cannot drift from what the routes answer", async () => {
  const { operations: all } = await documentedOperations();
  const operations = all.filter(problemKinds);

  it("documents the app's operations, each with its security and error responses", () => {
    expect(operations.length).toBeGreaterThan(80);
    for (const op of operations) {
      if (op.kind === "tenant") expect([...op.statuses], `${op.method} ${op.path}`).toEqual(expect.arrayContaining([401, 403, 429, 500]));
      if (op.kind === "admin") expect([...op.statuses], `${op.method} ${op.path}`).toEqual(expect.arrayContaining([401, 500]));
      if (BODY_METHODS.has(op.method) && op.kind !== "public") expect([...op.statuses], `${op.method} ${op.path}`).toEqual(expect.arrayContaining([413, 415]));
    }
  });

  it.each(operations.filter((op) => op.kind !== "public").map((op) => [op.method, op.path, op] as const))(
    "%s %s: without credentials, with a malformed body and with an oversized body, answers only documented statuses",
    async (method, path, op) => {
      const { key } = await busyTenant();
      const url = concretePath(path);
      await expectDocumented(op, await call(url, { method, headers: {} }), "no credentials");
      if (!BODY_METHODS.has(method)) return;
      const auth = credentials(op.kind, key);
      await expectDocumented(op, await call(url, { method, headers: { ...auth, "content-type": "application/json" }, body: "{not json" }), "malformed body");
      await expectDocumented(op, await call(url, { method, headers: { ...auth, "content-type": "application/json" }, body: `"${"x".repeat(11 * 1024 * 1024)}"` }), "oversized body");
      await expectDocumented(op, await call(url, { method, headers: { ...auth, "content-type": "text/xml" }, body: "<x/>" }), "wrong content type");
    },
  );
});

describe("the published document", () => {
  it("docs/openapi.json is the document the app serves (`npm run openapi` rewrites it)", async () => {
    const served = await (await call("/openapi.json")).json();
    await expect(`${JSON.stringify(served, null, 2)}\n`).toMatchFileSnapshot("../../docs/openapi.json");
  });
});
