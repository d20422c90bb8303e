import type { Db } from "./db/client";
import type { ApiKeyRow } from "./db/schema";

export interface AuthContext {
  tenantId: string;
  keyId: ApiKeyRow["id"];
  mode: ApiKeyRow["mode"];
}

/** The one Hono environment: bindings from wrangler.toml, per-request values set once in middleware. */
export type AppEnv = {
  Bindings: Env;
  Variables: {
    requestId: string;
    db: Db;
    auth: AuthContext;
  };
};
