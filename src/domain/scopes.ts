/**
 * Restricted keys, as Stripe and Twilio have them: a key made with scopes may do only what they name; a key
 * without scopes (every key made before them, and any made without) has full access to its mode.
 * A scope is a resource and what may be done to it: `read` (GET) or `write` (everything else), and
 * `messages:send` for sending, which `messages:write` (cancel) does not include.
 */
export const SCOPES = [
  "messages:send",
  "messages:read",
  "messages:write",
  "batches:read",
  "batches:write",
  "templates:read",
  "templates:write",
  "senders:read",
  "senders:write",
  "content_rules:read",
  "content_rules:write",
  "numbers:read",
  "recipients:read",
  "recipients:write",
  "inbound:read",
  "inbound:write",
  "contacts:read",
  "contacts:write",
  "keys:read",
  "keys:write",
  "webhooks:read",
  "webhooks:write",
  "events:read",
  "stats:read",
  "alerts:read",
  "alerts:write",
  "account:read",
  "account:write",
] as const;

export type Scope = (typeof SCOPES)[number];

/** The resource a tenant URL's first segment after `/v1/` belongs to. */
const RESOURCES: Record<string, string> = {
  messages: "messages",
  batches: "batches",
  templates: "templates",
  senders: "senders",
  "content-rules": "content_rules",
  numbers: "numbers",
  blocklist: "recipients",
  allowlist: "recipients",
  recipients: "recipients",
  inbound: "inbound",
  keywords: "inbound",
  contacts: "contacts",
  groups: "contacts",
  keys: "keys",
  webhooks: "webhooks",
  events: "events",
  stats: "stats",
  alerts: "alerts",
  account: "account",
};

/**
 * The scope a tenant request needs, from its method and path; null for a path under no resource (it answers
 * 404 whatever the key). A number lookup (a POST) is a read.
 */
export function requiredScope(method: string, path: string): string | null {
  const [, version, first, second] = path.split("/");
  if (version !== "v1" || !first) return null;
  const resource = RESOURCES[first];
  if (!resource) return null;
  const verb = method.toUpperCase();
  if (resource === "messages" && verb === "POST" && (second === undefined || second === "" || second === "dry-run")) return "messages:send";
  if (resource === "numbers") return "numbers:read";
  // A scope no key can hold (`events:write`) is still named: a restricted key is refused, never let through.
  return `${resource}:${verb === "GET" || verb === "HEAD" ? "read" : "write"}`;
}

/**
 * Whether a key with `granted` scopes (null: full access) may act on a key with `wanted` (null: full access):
 * make it, make or revoke its credentials, or revoke it. A key never wields, nor takes away, power it lacks.
 */
export function canGrant(granted: readonly Scope[] | null, wanted: readonly Scope[] | null): boolean {
  if (granted === null) return true;
  return wanted !== null && wanted.every((scope) => granted.includes(scope));
}

/** The scope named in a refusal by `canGrant`: the first of `wanted` missing from `granted` (full access: `keys:write`). */
export function firstUngranted(granted: readonly Scope[] | null, wanted: readonly Scope[] | null): string {
  return wanted?.find((scope) => !granted?.includes(scope)) ?? "keys:write";
}
