import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../types";
import { validationError } from "./problem";

/** Every router shares one validation hook, so every schema failure is the same 422 problem. */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw validationError(result.error, result.target);
    },
  });
}
