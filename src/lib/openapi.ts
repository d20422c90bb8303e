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
    request_id: z.string(),
  })
  .openapi("Problem");

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
        content: { [PROBLEM_CONTENT_TYPE]: { schema: Problem } },
      },
    ]),
  );
}

export function jsonBody<T extends z.ZodType>(schema: T, description?: string) {
  return { required: true, description, content: { "application/json": { schema } } } as const;
}

export function jsonResponse<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } } as const;
}
