import { createMiddleware } from "hono/factory";
import { controlDb } from "../db/shards";
import type { AppEnv } from "../types";

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** Per-request values, built once: a request id (echoed as X-Request-Id) and the database handles. */
export const context = createMiddleware<AppEnv>(async (c, next) => {
  const incoming = c.req.header("x-request-id");
  const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
  c.set("requestId", requestId);
  const control = controlDb(c.env);
  c.set("control", control);
  c.set("db", control);
  c.header("X-Request-Id", requestId);
  await next();
});
