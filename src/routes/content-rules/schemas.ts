import { z } from "@hono/zod-openapi";
import { patternError, RULE_KINDS, skeleton } from "../../domain/content-policy";
import type { ContentPolicy } from "../../services/content-policies";

export const ContentRuleInput = z
  .object({
    id: z.string().regex(/^rul_[0-9A-Z]{26}$/, "an id this API gave a rule").optional().openapi({ description: "Keep a rule's id by sending it back." }),
    label: z.string().trim().min(1).max(100).openapi({ example: "Gambling" }),
    kind: z.enum(RULE_KINDS).openapi({ description: "`word`: matched ignoring case, spacing, punctuation and full-width forms. `pattern`: a regular expression." }),
    value: z.string().min(1).max(200).openapi({ example: "casino" }),
  })
  .strict()
  .superRefine((rule, ctx) => {
    const problem = rule.kind === "pattern" ? patternError(rule.value) : skeleton(rule.value) === "" ? "a word needs a letter or digit" : null;
    if (problem) ctx.addIssue({ code: "custom", path: ["value"], message: problem });
  });

export const ContentRule = z
  .object({ id: z.string(), label: z.string(), kind: z.enum(RULE_KINDS), value: z.string() })
  .openapi("ContentRule");

export const PlatformRules = z.object({ rules: z.array(ContentRuleInput).max(1000) }).strict().openapi("PlatformContentRulesRequest");
export const PlatformRulesResponse = z.object({ rules: z.array(ContentRule) }).openapi("PlatformContentRules");

const domain = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}$/, "a domain name such as example.com");

const policyFields = {
  allowed_domains: z.array(domain).max(100).openapi({ example: ["acme.com"], description: "Your domains; links to them and their subdomains are always allowed." }),
  enforce_allowed_domains: z.boolean().openapi({ description: "Allow links only to `allowed_domains`." }),
  allow_url_shorteners: z.boolean().openapi({ description: "Allow public URL shorteners (bit.ly, t.cn, …) in marketing; off by default." }),
  opt_out_suffix: z.string().trim().min(1).max(40).nullable().openapi({ example: "Reply STOP to opt out", description: "Appended to marketing bodies without opt-out wording; null: the default for the body's language." }),
};

export const TenantPolicyBody = z
  .object({
    rules: z.array(ContentRuleInput).max(200),
    allowed_domains: policyFields.allowed_domains.default([]),
    enforce_allowed_domains: policyFields.enforce_allowed_domains.default(false),
    allow_url_shorteners: policyFields.allow_url_shorteners.default(false),
    opt_out_suffix: policyFields.opt_out_suffix.default(null),
  })
  .strict()
  .openapi("ContentPolicyRequest");

export const TenantPolicy = z
  .object({ rules: z.array(ContentRule), ...policyFields })
  .openapi("ContentPolicy", { description: "Your own rules; the platform's apply too." });

export function presentPolicy(policy: ContentPolicy): z.infer<typeof TenantPolicy> {
  return {
    rules: policy.rules,
    allowed_domains: policy.allowedDomains,
    enforce_allowed_domains: policy.enforceAllowedDomains,
    allow_url_shorteners: policy.allowUrlShorteners,
    opt_out_suffix: policy.optOutSuffix,
  };
}

export function fromPolicyBody(body: z.infer<typeof TenantPolicyBody>) {
  return {
    rules: body.rules,
    allowedDomains: body.allowed_domains,
    enforceAllowedDomains: body.enforce_allowed_domains,
    allowUrlShorteners: body.allow_url_shorteners,
    optOutSuffix: body.opt_out_suffix,
  };
}
