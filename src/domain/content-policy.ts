import { RE2JS } from "re2js";
import { TtlCache } from "../lib/ttl-cache";
import type { MessageType } from "./message-status";

export const RULE_KINDS = ["word", "pattern"] as const;

export interface ContentRule {
  id: string;
  label: string;
  kind: (typeof RULE_KINDS)[number];
  value: string;
}

/** What a screen found: the rule (or link policy) that matched, by id and label. */
export interface ContentHit {
  id: string;
  label: string;
}

/**
 * The text as a matcher sees it: NFKC (full-width letters become plain ones), lower case, and only
 * letters and digits, so spaces and punctuation inserted between letters do not hide a word.
 */
export function skeleton(text: string): string {
  return text.normalize("NFKC").toLowerCase().replace(/[^\p{L}\p{N}]+/gu, "");
}

/**
 * Tenant patterns run on every body, so they run on RE2 (re2js): matching takes time linear in the text
 * whatever the pattern, where a backtracking engine can spend minutes on `^(a+)+$` and stall the isolate
 * for every tenant it serves. RE2 has no backreferences or lookaround: such patterns are refused when saved.
 * Compiled patterns are cached per isolate, bounded: tenants choose them.
 */
const compiled = new TtlCache<RE2JS | null>(Number.POSITIVE_INFINITY, 2_000);
function regex(pattern: string): RE2JS | null {
  const hit = compiled.get(pattern);
  if (hit !== undefined) return hit;
  let re: RE2JS | null;
  try {
    re = RE2JS.compile(pattern, RE2JS.CASE_INSENSITIVE);
  } catch {
    // Saved before patterns were checked against RE2: it matches nothing rather than running unbounded.
    re = null;
  }
  return compiled.set(pattern, re);
}

/** Patterns compiled in this isolate (bounded; tests read it). */
export const compiledPatternCount = () => compiled.size;

/** Why a pattern cannot be a rule, or null. */
export function patternError(pattern: string): string | null {
  try {
    RE2JS.compile(pattern, RE2JS.CASE_INSENSITIVE);
    return null;
  } catch (error) {
    return `not a regular expression RE2 accepts (no backreferences or lookaround): ${(error as Error).message}`;
  }
}

/** The first rule that matches: words against the skeleton, patterns against both forms of the text. */
export function findBlocked(text: string, rules: readonly ContentRule[]): ContentRule | null {
  const bare = skeleton(text);
  const folded = text.normalize("NFKC").toLowerCase();
  for (const rule of rules) {
    const re = rule.kind === "pattern" ? regex(rule.value) : null;
    const hit = rule.kind === "word" ? bare.includes(skeleton(rule.value)) : re !== null && (re.test(folded) || re.test(bare));
    if (hit && (rule.kind === "pattern" || skeleton(rule.value) !== "")) return rule;
  }
  return null;
}

/** Public link shorteners: they hide where a link goes, the mark of phishing and spam. */
export const URL_SHORTENERS = [
  "bit.ly", "tinyurl.com", "t.co", "goo.gl", "ow.ly", "is.gd", "buff.ly", "rebrand.ly", "cutt.ly", "t.ly",
  "shorturl.at", "rb.gy", "tiny.cc", "s.id", "v.gd", "bl.ink", "dwz.cn", "url.cn", "t.cn", "suo.im",
];

const LINK = /(?:https?:\/\/)?((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24})(?=[/:?#\s]|$|[),.!;'"])/giu;

/** The host names of the links in a text, with or without a scheme (`bit.ly/x` counts). */
export function linkHosts(text: string): string[] {
  return [...text.normalize("NFKC").matchAll(LINK)].map((m) => m[1]!.toLowerCase());
}

const within = (host: string, domain: string) => host === domain || host.endsWith(`.${domain}`);

export interface LinkPolicy {
  allowedDomains: string[];
  enforceAllowedDomains: boolean;
  allowUrlShorteners: boolean;
}

/** The link rule a message breaks, if any. Registered domains are always allowed, shorteners included. */
export function linkViolation(text: string, type: MessageType, policy: LinkPolicy): ContentHit | null {
  for (const host of linkHosts(text)) {
    if (policy.allowedDomains.some((domain) => within(host, domain))) continue;
    if (policy.enforceAllowedDomains) return { id: "links.allowed_domains", label: `links only to registered domains (${host} is not one)` };
    if (type === "marketing" && !policy.allowUrlShorteners && URL_SHORTENERS.some((s) => within(host, s))) {
      return { id: "links.url_shorteners", label: `no public URL shorteners in marketing (${host})` };
    }
  }
  return null;
}

// Opt-out wording carriers and regulators accept, in English and Chinese.
const OPT_OUT = [/\breply\s+stop\b/i, /\btext\s+stop\b/i, /\bstop\s+to\s+(opt[\s-]?out|unsubscribe|end|cancel)\b/i, /回\s*T\s*退订/i, /退订回\s*T/i, /拒收请回复\s*R/i, /回\s*TD\s*退订/i];

export function hasOptOut(text: string): boolean {
  const folded = text.normalize("NFKC");
  return OPT_OUT.some((re) => re.test(folded));
}

/** The opt-out suffix for a body: the tenant's own, or one in the body's language. */
export function optOutSuffix(body: string, tenantSuffix: string | null): string {
  if (tenantSuffix) return tenantSuffix;
  return /[\u3400-\u9fff]/u.test(body) ? "回T退订" : "Reply STOP to opt out";
}

/** A marketing body as sent: with the opt-out suffix appended when it has no opt-out wording. */
export function withOptOut(body: string, type: MessageType, tenantSuffix: string | null): string {
  if (type !== "marketing" || hasOptOut(body)) return body;
  const suffix = optOutSuffix(body, tenantSuffix);
  return /[\u3400-\u9fff]$/u.test(body) ? `${body}${suffix}` : `${body} ${suffix}`;
}
