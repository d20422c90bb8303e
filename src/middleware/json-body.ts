import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import { ApiError } from "../lib/errors";
import type { AppEnv } from "../types";

/** Methods whose requests carry a body: the body limit and content-type checks run on them. */
export const BODY_METHODS = ["post", "put", "patch"] as const;

const JSON_MEDIA_TYPE = /^application\/([\w.-]+\+)?json$/i;
export const DEFAULT_BODY_LIMIT = 64 * 1024;

/**
 * Only POST, PUT and PATCH read a body: on any other method a body is ignored, never checked, so what those
 * routes can answer does not depend on it (and the OpenAPI document says so: src/lib/openapi.ts).
 */
const takesBody = (req: Request) => (BODY_METHODS as readonly string[]).includes(req.method.toLowerCase());

function hasBody(req: Request): boolean {
  return takesBody(req) && req.body !== null && req.headers.get("content-length") !== "0";
}

const MEDIA_TYPES = { json: JSON_MEDIA_TYPE, csv: /^text\/csv$/i, form: /^application\/x-www-form-urlencoded$/i } as const;
const MEDIA_NAMES = { json: "application/json", csv: "text/csv", form: "application/x-www-form-urlencoded" } as const;

export type BodyType = keyof typeof MEDIA_TYPES;

/** A request that carries a body must say it is one of `types`: anything else is 415, never parsed as `{}`. */
export function requireBodyType(...types: BodyType[]) {
  const names = types.map((t) => MEDIA_NAMES[t]).join(" or ");
  return createMiddleware<AppEnv>(async (c, next) => {
    if (hasBody(c.req.raw)) {
      const mediaType = (c.req.header("content-type") ?? "").split(";")[0]!.trim();
      if (!types.some((t) => MEDIA_TYPES[t].test(mediaType))) {
        throw new ApiError("unsupported_media_type", `Request bodies must be ${names}; got ${mediaType ? `"${mediaType}"` : "no Content-Type"}.`);
      }
    }
    await next();
  });
}

export const requireJson = requireBodyType("json");

/** The bulk imports take bodies this large, as JSON or CSV. */
export const IMPORT_BODY_LIMIT = 10 * 1024 * 1024;
/** A batch of 10,000 recipients with their params fits in this. */
export const BATCH_BODY_LIMIT = 5 * 1024 * 1024;

/** Caps request bodies; bulk endpoints that need more declare their own, larger limit. */
export function limitBody(maxSize = DEFAULT_BODY_LIMIT) {
  const limit = bodyLimit({
    maxSize,
    onError: () => {
      throw new ApiError("payload_too_large", `Request bodies may be at most ${maxSize} bytes.`);
    },
  });
  return createMiddleware<AppEnv>(async (c, next) => (takesBody(c.req.raw) ? limit(c, next) : next()));
}
