// Property-based fuzzing driven by the app's own OpenAPI document: every operation gets bodies of wrong
// types, missing and extra fields, huge strings and arrays, deep nesting and odd Unicode, under odd
// content types, with odd path and query values. Whatever comes in: no 5xx, every error a problem whose
// status and code agree and are documented for the operation, and a refused request changes nothing.
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ERRORS } from "../../src/lib/errors";
import { ADMIN, call, createTenant, okJson } from "../helpers/api";
import { meterOf, setLimits } from "../helpers/meter";
import { documentedOperations, problemKinds, type Operation } from "../helpers/openapi";

const RUNS_PER_OPERATION = 10;
const SEED = 20261130;

const { document, operations: all } = await documentedOperations();
const operations = all.filter(problemKinds);

/** The schema a `$ref` names, or the schema itself. */
function resolve(schema: any): any {
  if (schema?.$ref) return resolve(document.components.schemas[schema.$ref.split("/").pop()]);
  return schema ?? {};
}

/** A value shaped like the schema (its example where it has one): the starting point the mutations break. */
function sample(schema: any, depth = 0): unknown {
  const s = resolve(schema);
  if (s.example !== undefined) return s.example;
  if (s.enum) return s.enum[0];
  const branch = s.oneOf ?? s.anyOf;
  if (branch) return sample(branch[0], depth + 1);
  if (depth > 6) return null;
  switch (Array.isArray(s.type) ? s.type[0] : s.type) {
    case "object":
      return Object.fromEntries(Object.entries<any>(s.properties ?? {}).map(([name, prop]) => [name, sample(prop, depth + 1)]));
    case "array":
      return [sample(s.items, depth + 1)];
    case "string":
      return "x".repeat(Math.max(1, s.minLength ?? 1));
    case "integer":
    case "number":
      return s.minimum ?? 1;
    case "boolean":
      return true;
    default:
      return null;
  }
}

const oddText = fc.oneof(
  fc.constantFrom(
    "",
    " ",
    "\u0000",
    "\uFEFF+14155550123",
    "\u202Eevil\u202C",
    "\uD800",
    "\uDFFF\uD800",
    "e\u0301\u0301\u0301",
    "😀".repeat(300),
    "Ａ𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    "'; DROP TABLE messages; --",
    "{{code}}}}{{",
    "%00%ff",
    "../../etc/passwd",
    "null",
    "true",
    "1e309",
    "-0",
    "+14155550123",
  ),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.constantFrom(256, 5_000, 70_000).map((n) => "x".repeat(n)),
);

/** Arrays and objects nested far deeper than any schema goes. */
const deep = fc.integer({ min: 50, max: 3_000 }).map((n) => JSON.parse("[".repeat(n) + "]".repeat(n)));

const oddValue: fc.Arbitrary<unknown> = fc.oneof(
  oddText,
  deep,
  fc.constantFrom(null, true, false, 0, -1, 2 ** 53, -(2 ** 63), 1.5, Number.MAX_VALUE, [], {}),
  fc.constantFrom(1_000, 100_000).map((n) => Array.from({ length: n }, () => "+14155550123")),
  fc.jsonValue({ maxDepth: 3 }),
);

/** A body: the schema's shape with fields dropped, added, or replaced by odd values; or anything at all. */
function bodyFor(operation: Operation): fc.Arbitrary<string> {
  const schema = operation.operation.requestBody?.content?.["application/json"]?.schema;
  const base = schema ? sample(schema) : {};
  const mutated = fc
    .tuple(fc.array(fc.tuple(fc.constantFrom("drop", "replace", "add"), fc.nat(), oddValue), { maxLength: 4 }), fc.string({ maxLength: 12 }))
    .map(([edits, extraName]) => {
      if (typeof base !== "object" || base === null || Array.isArray(base)) return base;
      const copy: Record<string, unknown> = structuredClone(base as Record<string, unknown>);
      for (const [edit, index, value] of edits) {
        const names = Object.keys(copy);
        const name = names.length ? names[index % names.length]! : extraName;
        if (edit === "drop") delete copy[name];
        else if (edit === "replace") copy[name] = value;
        else copy[extraName || "extra"] = value;
      }
      return copy;
    });
  return fc.oneof(
    { weight: 3, arbitrary: mutated.map((value) => JSON.stringify(value)) },
    { weight: 1, arbitrary: oddValue.map((value) => JSON.stringify(value) ?? "null") },
    { weight: 1, arbitrary: fc.constantFrom("", "{", "[1,]", '{"a":1}{', "\u0000", "﻿{}", "phone,name\n+1415,Ann", "a=1&b=2") },
  );
}

const contentTypes = fc.constantFrom(
  "application/json",
  "APPLICATION/JSON",
  "Application/Json; charset=UTF-8",
  "application/vnd.api+json",
  "application/json-patch+json",
  "text/plain",
  "text/csv",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "",
  "json",
);

const pathValue = fc.oneof(
  fc.constantFrom("zz_none", "msg_01ARZ3NDEKTSV4RRFFQ69G5FAV", "0", "-1", "null", "a".repeat(300), "..", "%", "%E0%A4%A", "%00", "%2F", "..%2F..%2Fadmin", "%F0%9F%98%80", "+14155550123", "%2B14155550123"),
  fc.string({ unit: "binary", maxLength: 20 }).map(encodeURIComponent),
);

function queryFor(operation: Operation): fc.Arbitrary<string> {
  const names: string[] = (operation.operation.parameters ?? []).filter((p: any) => p.in === "query").map((p: any) => p.name);
  const params = fc.array(fc.tuple(fc.constantFrom(...names, "unknown", "limit", "cursor"), oddText.filter((t) => t.length < 3_000)), { maxLength: 4 });
  return params.map((pairs) => {
    const query = new URLSearchParams();
    for (const [name, value] of pairs) {
      try {
        query.append(name, value);
      } catch {
        // A lone surrogate cannot be URL-encoded by the client; skip it.
      }
    }
    const text = query.toString();
    return text ? `?${text}` : "";
  });
}

const { results: tables } = await env.DB.prepare(
  `SELECT m.name AS name, (SELECT COUNT(*) FROM pragma_table_info(m.name) WHERE name = 'updated_at') AS dated
   FROM sqlite_master AS m WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_cf_%' AND m.name <> 'd1_migrations'`,
).all<{ name: string; dated: number }>();

/** Everything a refused request must leave as it was: every table's size and newest update, and the meter. */
async function stateOf(tenantId: string) {
  const results = tables;
  // Every database: the control one and each shard.
  const databases = { DB: env.DB, SHARD_1: env.SHARD_1, SHARD_2: env.SHARD_2 };
  const state: Record<string, unknown> = {};
  for (const [name, d1] of Object.entries(databases)) {
    const rows = await d1.batch(results.map((t) => d1.prepare(`SELECT COUNT(*) AS n${t.dated ? ", MAX(updated_at) AS at" : ""} FROM "${t.name}"`)));
    for (const [i, t] of results.entries()) state[`${name}.${t.name}`] = rows[i]!.results[0];
  }
  const account = await meterOf(tenantId).account();
  return { tables: state, balance: account.balance, today: account.today };
}

describe("fuzzing every operation of the OpenAPI document", async () => {
  // A live key of a tenant still in the sandbox: a fuzzed send can never reach a carrier, so nothing runs behind
  // a request and any change of state is the request's own.
  const tenant = await createTenant();
  await setLimits(tenant.tenantId, { requests_per_second: 10_000, request_burst: 100_000 });
  const live = await okJson(await call(`/v1/admin/tenants/${tenant.tenantId}/keys`, { method: "POST", headers: ADMIN, json: { mode: "live" } }), 201);
  const credentials = (op: Operation): Record<string, string> =>
    op.kind === "tenant" ? { authorization: `Bearer ${live.key}` } : op.kind === "admin" ? ADMIN : {};

  it.each(operations.map((op) => [op.method, op.path, op] as const))("%s %s", async (method, path, op) => {
    const request = fc.record({
      values: fc.array(pathValue, { minLength: 4, maxLength: 4 }),
      query: queryFor(op),
      body: method === "GET" || method === "DELETE" ? fc.constant(null) : bodyFor(op),
      contentType: contentTypes,
    });
    await fc.assert(
      fc.asyncProperty(request, async ({ values, query, body, contentType }) => {
        let i = 0;
        const url = path.replace(/\{[^}]+\}/g, () => values[i++ % values.length]!) + query;
        const before = await stateOf(tenant.tenantId);
        const headers: Record<string, string> = { ...credentials(op), ...(contentType && body !== null && { "content-type": contentType }) };
        const response = await call(url, { method, headers, body });
        const text = await response.text();
        const where = `${method} ${url.slice(0, 200)} (${contentType}, ${String(body).slice(0, 120)}) → ${response.status} ${text.slice(0, 300)}`;
        expect(response.status, where).toBeLessThan(500);
        if (response.status < 400) return;
        expect(response.headers.get("content-type"), where).toBe("application/problem+json");
        const problem = JSON.parse(text);
        expect(problem.status, where).toBe(response.status);
        expect(ERRORS[problem.code as keyof typeof ERRORS]?.status, where).toBe(response.status);
        // A request to a path the document does not have (an odd value made it another route) is the app's 404.
        if (problem.code !== "not_found" || op.statuses.has(404)) expect(op.statuses, where).toContain(response.status);
        expect(await stateOf(tenant.tenantId), where).toEqual(before);
      }),
      { numRuns: RUNS_PER_OPERATION, seed: SEED, endOnFailure: true },
    );
  });
});
