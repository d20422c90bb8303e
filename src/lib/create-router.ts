import { OpenAPIHono, type Hook } from "@hono/zod-openapi";
import type { AppEnv } from "../types";
import { validationError } from "./problem";

/** Every schema failure, on any router, becomes the same located 422 problem. */
export const validationHook: Hook<unknown, AppEnv, string, unknown> = (result) => {
  if (!result.success) throw validationError(result.error, result.target);
};

export function createRouter() {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
}
