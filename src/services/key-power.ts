// The one rule for acting on a key (making it, revoking it, making or revoking its credentials): the actor
// must hold every scope the target key has. The operator (no scopes given) acts on any key.
import { canGrant, firstUngranted, type Scope } from "../domain/scopes";
import { ApiError } from "../lib/errors";

/** Who acts on a key: a tenant's key (its scopes; null or absent: full access) or, with neither, the operator. */
export interface KeyActor {
  tenantId: string;
  mode?: "test" | "live";
  scopes?: readonly Scope[] | null;
}

/** 403 `insufficient_scope` unless the actor holds every scope of the target (null: a full-access key). */
export function assertMayActOn(actor: KeyActor, targetScopes: readonly Scope[] | null, what: string): void {
  const granted = actor.scopes ?? null;
  if (canGrant(granted, targetScopes)) return;
  const scope = firstUngranted(granted, targetScopes);
  throw new ApiError("insufficient_scope", `A restricted key can ${what} only keys restricted to scopes it has.`, { extra: { scope } });
}
