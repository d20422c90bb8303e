import { ADMIN, call, liveKeyFor, okJson } from "./api";

/** Templates, senders and content rules, made through the API as a tenant and an operator would. */
export async function createTemplate(key: string, body: Record<string, unknown>) {
  return okJson(await call("/v1/templates", { method: "POST", key, json: body }), 201);
}

export async function review(resource: "templates" | "senders", id: string, decision: "approve" | "reject", reason = "not allowed") {
  return call(`/v1/admin/${resource}/${id}/${decision}`, { method: "POST", headers: ADMIN, json: decision === "reject" ? { reason } : undefined });
}

export async function approvedTemplate(key: string, body: Record<string, unknown>) {
  const template = await createTemplate(key, body);
  return okJson(await review("templates", template.id, "approve"), 200);
}

export async function createSender(key: string, value: string, kind = "alphanumeric") {
  return okJson(await call("/v1/senders", { method: "POST", key, json: { value, kind } }), 201);
}

export async function approvedSender(key: string, value: string, kind = "alphanumeric") {
  const sender = await createSender(key, value, kind);
  return okJson(await review("senders", sender.id, "approve"), 200);
}

export async function putPlatformRules(rules: Record<string, unknown>[]) {
  return okJson(await call("/v1/admin/content-rules", { method: "PUT", headers: ADMIN, json: { rules } }), 200);
}

/** The tenant's content policy, put with its live key (a test key only reads it). */
export async function putTenantPolicy(key: string, policy: Record<string, unknown>) {
  return okJson(await call("/v1/content-rules", { method: "PUT", key: await liveKeyFor(key), json: { rules: [], ...policy } }), 200);
}
