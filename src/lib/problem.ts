import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ZodError } from "zod";
import type { AppEnv } from "../types";
import { ApiError, ERRORS, type FieldError } from "./errors";
import { log } from "./log";

export const PROBLEM_CONTENT_TYPE = "application/problem+json";
const TYPE_BASE = "https://docs.sms-gateway.dev/errors/";

function problemType(code: string): string {
  return TYPE_BASE + code.replaceAll("_", "-");
}

/** Renders an ApiError as an RFC 9457 problem document: the only place error bodies are made. */
export function renderProblem(c: Context<AppEnv>, error: ApiError): Response {
  const { status, title } = ERRORS[error.code];
  const body = {
    type: problemType(error.code),
    title,
    status,
    detail: error.message,
    code: error.code,
    ...(error.errors ? { errors: error.errors } : {}),
    ...error.extra,
    request_id: c.get("requestId"),
  };
  return c.json(body, status, { ...error.headers, "Content-Type": PROBLEM_CONTENT_TYPE });
}

/** Any error as an ApiError: known errors keep their code; anything else is a 500 that leaks nothing (and is logged). */
export function asApiError(error: Error, c: Context<AppEnv>): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof HTTPException) {
    const mapped = fromHttpException(error);
    if (mapped.code === "internal_error") log.error("unhandled_error", { request_id: c.get("requestId"), status: error.status, error: error.message });
    return mapped;
  }
  log.error("unhandled_error", { request_id: c.get("requestId"), error: String(error?.stack ?? error) });
  return new ApiError("internal_error", "An unexpected error occurred. It has been logged.");
}

/** app.onError. The compatible APIs' routers render the same errors in their vendors' shapes instead. */
export function onError(error: Error, c: Context<AppEnv>): Response {
  return renderProblem(c, asApiError(error, c));
}

export function onNotFound(c: Context<AppEnv>): Response {
  return renderProblem(c, new ApiError("not_found", `No route for ${c.req.method} ${c.req.path}.`));
}

// Hono's own HTTPExceptions (a JSON body that does not parse, a body limit) mapped onto our codes.
function fromHttpException(error: HTTPException): ApiError {
  switch (error.status) {
    case 400:
      return new ApiError("malformed_json", "The request body is not valid JSON.");
    case 401:
      return new ApiError("unauthorized", error.message);
    case 413:
      return new ApiError("payload_too_large", error.message);
    case 415:
      // @hono/zod-openapi's own gate: a Content-Type the route does not declare, on an empty body too.
      return new ApiError("unsupported_media_type", "Request bodies must be application/json.");
    default:
      return new ApiError("internal_error", "An unexpected error occurred.");
  }
}

/** Turns every zod issue into a located field error, e.g. `body.to` or `query.limit`. */
type Issue = ZodError["issues"][number];

/**
 * Each issue with its full path. A union that matched no branch is reported by the branch the input was
 * meant for (the one whose type it has), not as one "invalid input" at the union.
 */
function locate(issues: readonly Issue[], base: PropertyKey[]): { path: PropertyKey[]; message: string }[] {
  return issues.flatMap((issue) => {
    if (issue.code === "invalid_union" && issue.errors.length > 0) {
      const branch = issue.errors.find((b) => !b.some((i) => i.code === "invalid_type" && i.path.length === 0)) ?? issue.errors[0]!;
      return locate(branch, [...base, ...issue.path]);
    }
    return [{ path: [...base, ...issue.path], message: issue.message }];
  });
}

export function validationError(error: ZodError, target: string): ApiError {
  const errors: FieldError[] = locate(error.issues, []).map((issue) => ({
    path: [target === "json" ? "body" : target, ...issue.path.map(String)].join("."),
    message: issue.message,
  }));
  const fields = errors.map((e) => e.path).join(", ");
  return new ApiError("validation_failed", `The request has invalid fields: ${fields}.`, { errors });
}
