import { env, exports } from "cloudflare:workers";
import { expect } from "vitest";

export const ADMIN = { authorization: `Bearer ${env.ADMIN_TOKEN}` };

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: { path: string; message: string }[];
  reason?: string;
}

/** A request through the Worker's own fetch handler, as a client would send it. */
export function call(path: string, init: RequestInit & { json?: unknown; key?: string } = {}): Promise<Response> {
  const { json, key, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (key) headers.set("authorization", `Bearer ${key}`);
  if (json !== undefined) headers.set("content-type", "application/json");
  return exports.default.fetch(
    new Request(`http://gateway.test${path}`, { ...rest, headers, body: json === undefined ? rest.body : JSON.stringify(json) }),
  );
}

export async function okJson<T = any>(response: Response, status: number): Promise<T> {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  return JSON.parse(text) as T;
}

/** Asserts a problem+json error with the given status and code, and returns it. */
export async function expectProblem(response: Response, status: number, code: string): Promise<Problem> {
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  const problem = await okJson<Problem>(response, status);
  expect(problem).toMatchObject({ status, code });
  expect(problem.type).toMatch(/^https:\/\//);
  expect(problem.title).toBeTruthy();
  expect(problem.detail).toBeTruthy();
  return problem;
}

/**
 * A fresh tenant with a key, made through the operator API the way an operator would. A tenant given a
 * live key is also taken out of the sandbox, as an operator does before its live traffic.
 */
export async function createTenant(mode: "test" | "live" = "test") {
  const tenant = await okJson(await call("/v1/admin/tenants", { method: "POST", headers: ADMIN, json: { name: "Acme" } }), 201);
  if (mode === "live") {
    await okJson(await call(`/v1/admin/tenants/${tenant.id}`, { method: "PATCH", headers: ADMIN, json: { sandbox: false } }), 200);
  }
  const key = await okJson(
    await call(`/v1/admin/tenants/${tenant.id}/keys`, { method: "POST", headers: ADMIN, json: { mode } }),
    201,
  );
  return { tenantId: tenant.id as string, key: key.key as string, keyId: key.id as string };
}

export async function sendMessage(key: string, body: Record<string, unknown>) {
  return okJson(await call("/v1/messages", { method: "POST", key, json: body }), 202);
}

export async function getMessage(key: string, id: string) {
  return okJson(await call(`/v1/messages/${id}`, { key }), 200);
}

/** A live key of the tenant: what changes the block and allow lists (test keys only read them). */
export async function liveKeyOf(tenantId: string): Promise<string> {
  return (await okJson(await call(`/v1/admin/tenants/${tenantId}/keys`, { method: "POST", headers: ADMIN, json: { mode: "live" } }), 201)).key as string;
}

const liveKeys = new Map<string, Promise<string>>();
/**
 * A live key of the same tenant as `key` (made once per key): what a test uses to change what both modes share
 * (templates, senders, contacts and groups, content rules, keywords, quiet hours, the block and allow lists), which
 * a test key only reads.
 */
export function liveKeyFor(key: string): Promise<string> {
  let live = liveKeys.get(key);
  if (!live) {
    live = (async () => liveKeyOf((await okJson(await call("/v1/account", { key }), 200)).tenant_id as string))();
    liveKeys.set(key, live);
  }
  return live;
}
