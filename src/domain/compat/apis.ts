/** The other vendors' APIs the gateway also speaks, each a thin adapter over the native services. */
export const COMPAT_APIS = ["twilio", "alibaba"] as const;
export type CompatApi = (typeof COMPAT_APIS)[number];
