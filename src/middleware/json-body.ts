import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import { ApiError } from "../lib/errors";
import type { AppEnv } from "../types";

const JSON_MEDIA_TYPE = /^application\/([\w.-]+\+)?json$/i;
export const DEFAULT_BODY_LIMIT = 64 * 1024;

function hasBody(req: Request): boolean {
  return req.body !== null && req.headers.get("content-length") !== "0";
}

/** A request that carries a body must say it is JSON: anything else is 415, never parsed as `{}`. */
export const requireJson = createMiddleware<AppEnv>(async (c, next) => {
  if (hasBody(c.req.raw)) {
    const mediaType = (c.req.header("content-type") ?? "").split(";")[0]!.trim();
    if (!JSON_MEDIA_TYPE.test(mediaType)) {
      throw new ApiError(
        "unsupported_media_type",
        `Request bodies must be application/json; got ${mediaType ? `"${mediaType}"` : "no Content-Type"}.`,
      );
    }
  }
  await next();
});

/** Caps request bodies; bulk endpoints that need more declare their own, larger limit. */
export function limitBody(maxSize = DEFAULT_BODY_LIMIT) {
  return bodyLimit({
    maxSize,
    onError: () => {
      throw new ApiError("payload_too_large", `Request bodies may be at most ${maxSize} bytes.`);
    },
  });
}
