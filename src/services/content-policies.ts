import { inArray } from "drizzle-orm";
import type { Db } from "../db/client";
import { contentPolicies } from "../db/schema";
import type { ContentRule, LinkPolicy } from "../domain/content-policy";
import { newId } from "../lib/ids";
import { TtlCache } from "../lib/ttl-cache";

export const PLATFORM_SCOPE = "platform";
/** How long an isolate trusts its copy of a policy; a change reaches every isolate within this. */
export const POLICY_CACHE_MS = 60_000;

export interface ContentPolicy extends LinkPolicy {
  rules: ContentRule[];
  optOutSuffix: string | null;
}

export type RuleInput = Omit<ContentRule, "id"> & { id?: string };

const EMPTY: ContentPolicy = { rules: [], allowedDomains: [], enforceAllowedDomains: false, allowUrlShorteners: false, optOutSuffix: null };

/** What a tenant's messages are screened against: the platform's rules first, then the tenant's own. */
export interface Screening extends ContentPolicy {
  platformRules: ContentRule[];
}

const cache = new TtlCache<Screening>(POLICY_CACHE_MS);

export async function getPolicy(db: Db, scope: string): Promise<ContentPolicy> {
  const row = await db.query.contentPolicies.findFirst({ where: (p, { eq }) => eq(p.scope, scope) });
  return row
    ? {
        rules: row.rules,
        allowedDomains: row.allowedDomains,
        enforceAllowedDomains: row.enforceAllowedDomains,
        allowUrlShorteners: row.allowUrlShorteners,
        optOutSuffix: row.optOutSuffix,
      }
    : EMPTY;
}

/** Replaces a scope's policy. Rules keep the ids they were given and get new ones otherwise. */
export async function putPolicy(db: Db, scope: string, policy: Omit<ContentPolicy, "rules"> & { rules: RuleInput[] }): Promise<ContentPolicy> {
  const stored: ContentPolicy = { ...policy, rules: policy.rules.map(({ id, ...rule }) => ({ id: id ?? newId("contentRule"), ...rule })) };
  const row = { scope, ...stored, updatedAt: Date.now() };
  await db.insert(contentPolicies).values(row).onConflictDoUpdate({ target: contentPolicies.scope, set: row });
  // The platform's rules are in every tenant's screening, so a platform change empties the whole cache.
  if (scope === PLATFORM_SCOPE) cache.clear();
  else cache.delete(scope);
  return stored;
}

/** The platform's and the tenant's policies, in one read, from a per-isolate copy at most a minute old. */
export async function screeningFor(db: Db, tenantId: string): Promise<Screening> {
  return cache.getOrLoad(tenantId, async () => {
    const rows = await db.select().from(contentPolicies).where(inArray(contentPolicies.scope, [PLATFORM_SCOPE, tenantId]));
    const platform = rows.find((r) => r.scope === PLATFORM_SCOPE);
    const tenant = rows.find((r) => r.scope === tenantId);
    return {
      platformRules: platform?.rules ?? [],
      rules: [...(platform?.rules ?? []), ...(tenant?.rules ?? [])],
      allowedDomains: tenant?.allowedDomains ?? [],
      enforceAllowedDomains: tenant?.enforceAllowedDomains ?? false,
      allowUrlShorteners: tenant?.allowUrlShorteners ?? false,
      optOutSuffix: tenant?.optOutSuffix ?? null,
    };
  });
}
