import { createMiddleware } from "hono/factory";
import { createDb } from "../db/client";
import type { AppEnv } from "../types";

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** Per-request values, built once: a request id (echoed as X-Request-Id) and the database handle. */
export const context = createMiddleware<AppEnv>(async (c, next) => {
  const incoming = c.req.header("x-request-id");
  const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
  c.set("requestId", requestId);
  c.set("db", createDb(c.env.DB));
  c.header("X-Request-Id", requestId);
  await next();
});
