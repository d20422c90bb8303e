import { ADMIN, call, createTenant, okJson } from "./api";
import { setLimits } from "./meter";

export interface Operation {
  method: string;
  /** As documented, with `{params}`. */
  path: string;
  /** Whose credentials it takes; `twilio` and `alibaba` answer in those vendors' error shapes, not problems. */
  kind: "tenant" | "admin" | "carrier" | "public" | "twilio" | "alibaba";
  /** Documented response statuses. */
  statuses: Set<number>;
  operation: any;
}

/** Every operation of the app's own OpenAPI document, as served at /openapi.json. */
export async function documentedOperations(): Promise<{ document: any; operations: Operation[] }> {
  const document = await okJson(await call("/openapi.json"), 200);
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries<any>(document.paths)) {
    for (const [method, operation] of Object.entries<any>(item)) {
      const security = JSON.stringify(operation.security ?? []);
      const kind = security.includes("ApiKey")
        ? "tenant"
        : security.includes("AdminToken")
          ? "admin"
          : security.includes("TwilioBasic")
            ? "twilio"
            : security.includes("AlibabaSignature")
              ? "alibaba"
              : path.startsWith("/webhooks/")
                ? "carrier"
                : "public";
      operations.push({ method: method.toUpperCase(), path, kind, statuses: new Set(Object.keys(operation.responses).map(Number)), operation });
    }
  }
  return { document, operations };
}

/** A documented path with each `{param}` filled in (a value that names nothing). */
export const concretePath = (path: string, value = "zz_none") => path.replace(/\{[^}]+\}/g, value);

/** A tenant whose request rate a long walk over every operation cannot use up. */
export async function busyTenant() {
  const tenant = await createTenant();
  await setLimits(tenant.tenantId, { requests_per_second: 10_000, request_burst: 100_000 });
  return tenant;
}

/** The credentials an operation of this kind takes. */
/** The operations whose errors are problems (the compatible APIs answer in their vendors' shapes: test/openapi/compat-fuzz.test.ts). */
export const problemKinds = (op: Operation) => op.kind !== "twilio" && op.kind !== "alibaba";

export function credentials(kind: Operation["kind"], key: string): Record<string, string> {
  return kind === "tenant" ? { authorization: `Bearer ${key}` } : kind === "admin" ? ADMIN : {};
}
