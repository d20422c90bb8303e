import type { Db } from "./db/client";
import type { ApiKeyRow, TenantRow } from "./db/schema";
import type { CompatApi } from "./domain/compat/apis";
import type { SignedNonce } from "./meter/types";

export interface AuthContext {
  tenantId: string;
  /** The shard database that holds the tenant's data (src/db/shards.ts). */
  shard: TenantRow["shard"];
  keyId: ApiKeyRow["id"];
  mode: ApiKeyRow["mode"];
  /** False only for tenants an operator exempted from metering. */
  metered: TenantRow["metered"];
  /** True until an operator takes the tenant out of the sandbox. */
  sandbox: TenantRow["sandbox"];
  /** The tenant's quiet hours for marketing; null or absent: the defaults. */
  quietHours?: TenantRow["quietHours"];
  /** Days the tenant's final messages are kept (absent: the default). */
  retentionDays?: TenantRow["retentionDays"];
  /** A restricted key's scopes; null or absent: full access to its mode. */
  scopes?: ApiKeyRow["scopes"];
}

/** A verified API key with its tenant's flags and shard (src/services/api-keys.ts). */
export type ActiveKey = ApiKeyRow & Pick<TenantRow, "metered" | "sandbox" | "quietHours" | "shard" | "retentionDays">;

/** A verified compatible-API credential: its key (tenant, mode, scopes, shard) and its secret, for the HMACs. */
export interface ActiveCredential {
  id: string;
  api: CompatApi;
  key: ActiveKey;
  secretHash: string;
  secret: string;
  reportUrl: string | null;
}

/** Who owns a resource that has a mode: a key sees only its own mode's messages, batches, keys, events and replies. */
export type Owner = Pick<AuthContext, "tenantId" | "mode">;

/** The one Hono environment: bindings from wrangler.toml, per-request values set once in middleware. */
export type AppEnv = {
  Bindings: Env;
  Variables: {
    requestId: string;
    /** The database the route's data is in: the tenant's shard once a key is verified, else the control database. */
    db: Db;
    /** The control database: tenants, keys, prices, routes, carrier health, platform rules, numbers. */
    control: Db;
    auth: AuthContext;
    /** A carrier webhook's fields (form or flat JSON), read once from the raw body by its signature check. */
    webhookFields: Record<string, string>;
    /** Set once a send's meter call has counted the request (see `countSendRequest`). */
    requestCounted: boolean;
    /** On the compatible APIs' routes: the Twilio or Alibaba credential the request was authenticated with. */
    credential: ActiveCredential;
    /** On Alibaba's API: the verified request's action and its parameters (query and form body). */
    rpc: { action: string; params: Record<string, string>; nonce: SignedNonce };
  };
};
