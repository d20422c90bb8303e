// The API, as the console calls it: same origin, the key from session storage, problems thrown as errors.
const KEY = "sms-gateway-console-key";

export const session = {
  get key() {
    return sessionStorage.getItem(KEY);
  },
  set(key) {
    sessionStorage.setItem(KEY, key);
  },
  clear() {
    sessionStorage.removeItem(KEY);
  },
  /** "test" or "live", read off the key's prefix. */
  get mode() {
    return this.key?.startsWith("sk_live_") ? "live" : "test";
  },
};

/** An application/problem+json answer: `code`, `detail` and, for validation, `errors[{path, message}]`. */
export class ApiProblem extends Error {
  constructor(status, problem) {
    super(problem?.detail ?? `The request failed (${status}).`);
    this.status = status;
    this.code = problem?.code ?? "http_error";
    this.errors = problem?.errors ?? [];
  }
}

export async function api(path, { method = "GET", body, headers = {}, key = session.key } = {}) {
  const response = await fetch(path, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { "content-type": "application/json" } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (response.status === 204) return null;
  const json = await response.json().catch(() => null);
  if (!response.ok) throw new ApiProblem(response.status, json);
  return json;
}

/** A query string from an object, leaving out empty values. */
export function query(params) {
  const entries = Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== "");
  return entries.length ? `?${new URLSearchParams(entries)}` : "";
}
