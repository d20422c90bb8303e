import { createRoute, z, type RouteConfig } from "@hono/zod-openapi";
import { ERRORS, type ErrorCode } from "./errors";
import { PROBLEM_CONTENT_TYPE } from "./problem";
import type { MiddlewareHandler } from "hono";
import { BODY_METHODS, limitBody, requireBodyType, type BodyType } from "../middleware/json-body";
import { countSendRequest, requestRate } from "../middleware/request-rate";
import type { AppEnv } from "../types";

export const Problem = z
  .object({
    type: z.string().openapi({ example: "https://docs.sms-gateway.dev/errors/not-found" }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.enum(Object.keys(ERRORS) as [ErrorCode, ...ErrorCode[]]),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    reason: z.string().optional().openapi({ description: "For `invalid_number`: why the number is invalid." }),
    retry_after: z.number().int().optional().openapi({ description: "For 429s: seconds to wait, as in `Retry-After`." }),
    limit: z.enum(["requests", "messages"]).optional().openapi({ description: "For `rate_limited`: which bucket is empty." }),
    quota: z.number().int().optional().openapi({ description: "For `quota_exceeded`: messages allowed a UTC day." }),
    window: z.enum(["minute", "hour", "day"]).optional().openapi({ description: "For `recipient_frequency_capped`: the window." }),
    max: z.number().int().optional().openapi({ description: "For `recipient_frequency_capped`: messages allowed in the window; for `limit_exceeded`: the limit." }),
    balance: z.number().int().optional().openapi({ description: "For `insufficient_balance`: the balance, in micro-units." }),
    price: z.number().int().optional().openapi({ description: "For `insufficient_balance`: the message's price." }),
    currency: z.string().optional(),
    rule: z
      .object({ id: z.string(), label: z.string() })
      .optional()
      .openapi({ description: "For `content_blocked`: the rule that matched (not the whole list)." }),
    id: z.string().optional().openapi({ description: "For `already_exists`: the existing resource." }),
    number_type: z.string().optional().openapi({ description: "For `number_not_sms_capable`: the number's type." }),
    batch_status: z.string().optional().openapi({ description: "For `not_cancelable` on a batch: the batch's status." }),
    message_status: z.string().optional().openapi({ description: "For `not_cancelable` on a message: the message's status." }),
    checks: z
      .record(z.string(), z.object({ status: z.string(), problems: z.array(z.string()).optional() }))
      .optional()
      .openapi({ description: "From `GET /health` (`dependency_unavailable`, `live_sending_unconfigured`): each dependency's or setting's state." }),
    problems: z
      .array(z.string())
      .optional()
      .openapi({ description: "For `live_sending_unconfigured`: the settings that keep this deployment from sending live messages." }),
    scope: z.string().optional().openapi({ description: "For `insufficient_scope`: the scope the request needs." }),
    request_id: z.string(),
  })
  .openapi("Problem");

const header = (description: string, type: "string" | "integer" = "string") => ({ description, schema: { type } });

/** The IETF RateLimit header fields every metered answer carries. */
export const RATE_LIMIT_HEADERS = {
  "RateLimit-Policy": header('The quota policies, e.g. `"messages";q=100;w=2, "daily";q=10000;w=86400` (q: quota, w: window in seconds).'),
  RateLimit: header('What is left of each, e.g. `"messages";r=99;t=1` (r: remaining, t: seconds until whole again).'),
};
const RETRY_AFTER = { "Retry-After": header("Seconds to wait before retrying, rounded up.", "integer") };

/** OpenAPI error responses for the given codes, grouped by status, from the same table the runtime uses. */
export function problemResponses(...codes: ErrorCode[]) {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of [...codes, "internal_error" as const]) {
    const status = ERRORS[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return Object.fromEntries(
    [...byStatus].map(([status, group]) => [
      status,
      {
        description: group.map((code) => `\`${code}\`: ${ERRORS[code].title}`).join("; "),
        ...(status === 429 && { headers: { ...RETRY_AFTER, ...RATE_LIMIT_HEADERS } }),
        ...(status === 409 && { headers: RETRY_AFTER }),
        content: { [PROBLEM_CONTENT_TYPE]: { schema: Problem } },
      },
    ]),
  );
}

/** An ISO 3166-1 alpha-2 country, the hint for numbers written in national format. */
export const countryCode = z
  .string()
  .regex(/^[A-Z]{2}$/, "must be an ISO 3166-1 alpha-2 code such as CN")
  .openapi({ example: "CN", description: "Country for numbers written in national format." });

/** `{id}` in a resource's path. */
export const IdParam = z.object({ id: z.string().min(1).max(64).openapi({ param: { name: "id", in: "path" } }) });

/** The optional `Idempotency-Key` request header: 1–255 printable ASCII characters. */
export function idempotencyHeader(description: string, example: string) {
  return z.object({
    "idempotency-key": z
      .string()
      .regex(/^[\x20-\x7E]{1,255}$/, "must be 1–255 printable ASCII characters")
      .optional()
      .openapi({ param: { name: "idempotency-key", in: "header" }, description, example }),
  });
}

export function jsonBody<T extends z.ZodType>(schema: T, description?: string) {
  return { required: true, description, content: { "application/json": { schema } } } as const;
}

/** A JSON body the request may leave out. */
export const optionalJsonBody = <T extends z.ZodType>(schema: T) => ({ ...jsonBody(schema), required: false as const });

export function jsonResponse<T extends z.ZodType>(schema: T, description: string, headers?: typeof RATE_LIMIT_HEADERS) {
  return { description, ...(headers && { headers }), content: { "application/json": { schema } } } as const;
}

type RouteInput = Omit<RouteConfig, "security"> & {
  /** The codes this route's own logic answers; the ones its kind of route shares are added for it. */
  errors?: readonly ErrorCode[];
  /** The largest body it takes (default 64 KiB), and in which media types (default JSON; carriers' JSON or forms). */
  body?: { limit?: number; types?: BodyType[] };
  /**
   * How a tenant request counts against the tenant's request rate: one request (default), counted by the
   * send's own meter call (`send`), or by the route itself, by its size (`self`: stats reports).
   */
  rate?: "request" | "send" | "self";
};

const asList = (middleware: RouteConfig["middleware"]): MiddlewareHandler<AppEnv>[] =>
  middleware === undefined ? [] : ((Array.isArray(middleware) ? middleware : [middleware]) as MiddlewareHandler<AppEnv>[]);

/**
 * The codes every route of a kind can answer, from its shape and the middleware it runs behind: a body
 * can be too large, of another type, unparseable or invalid; params, query and headers can be invalid;
 * a path with an `{id}` can name nothing.
 */
export function sharedErrors(route: Pick<RouteConfig, "method" | "path" | "request">, behind: readonly ErrorCode[]): ErrorCode[] {
  const codes: ErrorCode[] = [...behind];
  if ((BODY_METHODS as readonly string[]).includes(route.method)) codes.push("payload_too_large", "unsupported_media_type");
  if (route.request?.body) codes.push("malformed_json", "validation_failed");
  if (route.request?.params || route.request?.query || route.request?.headers) codes.push("validation_failed");
  if (route.path.includes("{")) codes.push("not_found");
  return codes;
}

/**
 * A route with what runs before its handler, in order: its kind's counting (the request rate), the body's
 * size and media type (on POST, PUT and PATCH), then its own middleware (a carrier's signature).
 */
function describedRoute<R extends RouteInput>(
  route: R,
  security: RouteConfig["security"],
  behind: readonly ErrorCode[],
  kind: { counting?: MiddlewareHandler<AppEnv> | null; bodyTypes: BodyType[] },
) {
  const { errors = [], body, rate: _, ...config } = route;
  const codes = [...new Set([...sharedErrors(config, behind), ...errors])];
  const takesBody = (BODY_METHODS as readonly string[]).includes(config.method);
  const middleware = [
    ...(kind.counting ? [kind.counting] : []),
    ...(takesBody ? [limitBody(body?.limit), requireBodyType(...(body?.types ?? kind.bodyTypes))] : []),
    ...asList(config.middleware),
  ];
  return createRoute({
    ...config,
    middleware,
    ...(security && { security }),
    responses: { ...config.responses, ...problemResponses(...codes) },
  } as Omit<R, "errors" | "body" | "rate"> & { security: RouteConfig["security"] });
}

const COUNTING = { request: requestRate, send: countSendRequest, self: null } as const;

/** A tenant API route: a key (401, 403 outside its scopes) and the request rate (429) come before it. */
export const tenantRoute = <R extends RouteInput>(route: R) =>
  describedRoute(route, [{ ApiKey: [] }], ["unauthorized", "insufficient_scope", "rate_limited"], {
    counting: COUNTING[route.rate ?? "request"],
    bodyTypes: ["json"],
  });

/** An operator API route, behind the admin token. */
export const adminRoute = <R extends RouteInput>(route: R) => describedRoute(route, [{ AdminToken: [] }], ["unauthorized"], { bodyTypes: ["json"] });

/**
 * A carrier's webhook: its signature (401), or 503 when the route's secret is not configured or the
 * receipt cannot be queued (the carrier retries). Carriers post JSON or forms (Twilio, Vonage).
 */
export const carrierRoute = <R extends RouteInput>(route: R) =>
  describedRoute(route, undefined, ["invalid_signature", "dependency_unavailable", "malformed_json", "validation_failed"], {
    bodyTypes: ["json", "form"],
  });

/** A route anyone may call (health). */
export const publicRoute = <R extends RouteInput>(route: R) => describedRoute(route, undefined, [], { bodyTypes: ["json"] });
