import { z } from "@hono/zod-openapi";
import { ERRORS, type ErrorCode } from "./errors";
import { PROBLEM_CONTENT_TYPE } from "./problem";

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
    max: z.number().int().optional().openapi({ description: "For `recipient_frequency_capped`: messages allowed in it." }),
    balance: z.number().int().optional().openapi({ description: "For `insufficient_balance`: the balance, in micro-units." }),
    price: z.number().int().optional().openapi({ description: "For `insufficient_balance`: the message's price." }),
    currency: z.string().optional(),
    rule: z
      .object({ id: z.string(), label: z.string() })
      .optional()
      .openapi({ description: "For `content_blocked`: the rule that matched (not the whole list)." }),
    id: z.string().optional().openapi({ description: "For `already_exists`: the existing resource." }),
    number_type: z.string().optional().openapi({ description: "For `number_not_sms_capable`: the number's type." }),
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

export function jsonResponse<T extends z.ZodType>(schema: T, description: string, headers?: typeof RATE_LIMIT_HEADERS) {
  return { description, ...(headers && { headers }), content: { "application/json": { schema } } } as const;
}
