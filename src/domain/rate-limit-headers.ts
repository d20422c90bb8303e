/** One quota policy as advertised to clients, in the terms of the IETF RateLimit header fields draft. */
export interface QuotaState {
  /** Policy name, e.g. "messages". */
  name: string;
  /** q: the quota allowed in one window. */
  quota: number;
  /** w: the window, in seconds. */
  window: number;
  /** r: what is left of the quota now. */
  remaining: number;
  /** t: seconds until the quota is whole again. */
  reset: number;
}

/**
 * `RateLimit-Policy` and `RateLimit` as structured-field lists (draft-ietf-httpapi-ratelimit-headers),
 * e.g. `"messages";q=100;w=2` and `"messages";r=99;t=1`.
 */
export function rateLimitHeaders(quotas: readonly QuotaState[]): Record<string, string> {
  if (quotas.length === 0) return {};
  return {
    "RateLimit-Policy": quotas.map((q) => `"${q.name}";q=${q.quota};w=${q.window}`).join(", "),
    RateLimit: quotas.map((q) => `"${q.name}";r=${Math.max(0, Math.floor(q.remaining))};t=${q.reset}`).join(", "),
  };
}
