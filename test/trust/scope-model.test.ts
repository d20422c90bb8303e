// The scope model: for every pair of scope sets (an acting key, a target key) and every operation on keys and
// their credentials, the answer is what set inclusion says: a key acts only on keys whose scopes it holds.
import { describe, expect, it } from "vitest";
import type { Scope } from "../../src/domain/scopes";
import { ADMIN, call, createTenant, okJson } from "../helpers/api";

// null is full access. Every set here holds keys:write (and keys:read), so the route itself is open to it and
// only the rule between the two keys decides.
const SETS: (Scope[] | null)[] = [
  null,
  ["keys:read", "keys:write"],
  ["keys:read", "keys:write", "messages:send"],
  ["keys:read", "keys:write", "messages:read"],
  ["keys:read", "keys:write", "messages:read", "messages:send"],
];

/** The oracle, written from the rule's statement rather than from the code: the actor holds all the target holds. */
const holds = (actor: Scope[] | null, target: Scope[] | null) => actor === null || (target !== null && target.every((s) => actor.includes(s)));

const label = (set: Scope[] | null) => (set === null ? "full" : set.join("+"));

async function keyOf(tenantId: string, scopes: Scope[] | null) {
  return okJson<{ id: string; key: string }>(
    await call(`/v1/admin/tenants/${tenantId}/keys`, { method: "POST", headers: ADMIN, json: { mode: "test", ...(scopes && { scopes }) } }),
    201,
  );
}

describe("the scope model of keys and credentials", () => {
  it("every operation on a key or its credentials is allowed exactly when the actor holds the target's scopes", async () => {
    const { tenantId } = await createTenant();
    const outcomes: string[] = [];
    const expected: string[] = [];
    for (const actorScopes of SETS) {
      const actor = await keyOf(tenantId, actorScopes);
      for (const targetScopes of SETS) {
        const allowed = holds(actorScopes, targetScopes);
        const target = await keyOf(tenantId, targetScopes);
        const operatorCred = await okJson(
          await call(`/v1/admin/tenants/${tenantId}/keys/${target.id}/credentials`, { method: "POST", headers: ADMIN, json: { api: "twilio" } }),
          201,
        );
        const pair = `${label(actorScopes)} → ${label(targetScopes)}`;
        const results = {
          "create key": await call("/v1/keys", { method: "POST", key: actor.key, json: { mode: "test", ...(targetScopes && { scopes: targetScopes }) } }),
          "create credential": await call(`/v1/keys/${target.id}/credentials`, { method: "POST", key: actor.key, json: { api: "alibaba" } }),
          "list credentials": await call(`/v1/keys/${target.id}/credentials`, { key: actor.key }),
          "revoke credential": await call(`/v1/keys/${target.id}/credentials/${operatorCred.id}`, { method: "DELETE", key: actor.key }),
          "revoke key": await call(`/v1/keys/${target.id}`, { method: "DELETE", key: actor.key }),
        };
        for (const [operation, response] of Object.entries(results)) {
          outcomes.push(`${pair}: ${operation} ${response.status}`);
          // Listing is a read (keys:read), never a grant of power: every set here may list.
          const ok = operation === "list credentials" || allowed;
          expected.push(`${pair}: ${operation} ${ok ? (operation.startsWith("create") ? 201 : 200) : 403}`);
          if (!ok) expect((await response.json<{ code: string }>()).code).toBe("insufficient_scope");
        }
        // A refused revoke leaves the key working; an allowed one stops it.
        expect((await call("/v1/keys", { key: target.key })).status).toBe(allowed ? 401 : 200);
      }
    }
    expect(outcomes).toEqual(expected);
  });
});
