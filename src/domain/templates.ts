import type { FieldError } from "../lib/errors";
import { analyzeBody, MAX_SEGMENTS } from "./encoding";
import type { MessageType } from "./message-status";

export const PLACEHOLDER_NAME = /^[a-z][a-z0-9_]{0,31}$/;
/** A parameter value's length unless the template declares another. */
export const DEFAULT_PARAM_MAX_LENGTH = 64;
export const MAX_PARAM_MAX_LENGTH = 500;
export const TEMPLATE_STATUSES = ["pending_review", "approved", "rejected"] as const;
export type TemplateStatus = (typeof TEMPLATE_STATUSES)[number];

/** What a template declares of its parameters beyond their names. */
export type ParamDeclarations = Record<string, { max_length: number }>;

const TOKEN = /\{\{([^{}]*)\}\}/g;
const PLACEHOLDER = /\{\{([a-z][a-z0-9_]{0,31})\}\}/g;

export interface Placeholders {
  names: string[];
  malformed: string[];
  duplicated: string[];
}

/** The `{{name}}` placeholders of a body, and those that are malformed or repeated. */
export function parsePlaceholders(body: string): Placeholders {
  const names: string[] = [];
  const malformed: string[] = [];
  const duplicated: string[] = [];
  for (const [token, name] of body.matchAll(TOKEN)) {
    if (!PLACEHOLDER_NAME.test(name!)) malformed.push(token);
    else if (names.includes(name!)) duplicated.push(token);
    else names.push(name!);
  }
  // Braces left over once every {{…}} token is gone belong to a placeholder that never closed or opened.
  const rest = body.replace(TOKEN, "");
  if (rest.includes("{{") || rest.includes("}}")) malformed.push("unbalanced {{ or }}");
  return { names, malformed, duplicated };
}

export function maxLengthOf(name: string, declared: ParamDeclarations): number {
  return declared[name]?.max_length ?? DEFAULT_PARAM_MAX_LENGTH;
}

/**
 * Fills the placeholders in one pass. A value is inserted as it is and never scanned again, so a value
 * containing `{{x}}` is sent literally.
 */
export function render(body: string, params: Record<string, string>): string {
  return body.replace(PLACEHOLDER, (_, name: string) => params[name] ?? "");
}

/** Every problem with the params of a send, each located at `body.params.<name>`. */
export function paramErrors(
  template: { placeholders: string[]; params: ParamDeclarations; type: MessageType },
  params: Record<string, unknown>,
): FieldError[] {
  const errors: FieldError[] = [];
  for (const name of template.placeholders) {
    const value = params[name];
    const path = `body.params.${name}`;
    if (value === undefined) errors.push({ path, message: "missing: the template has this placeholder" });
    else if (typeof value !== "string") errors.push({ path, message: "must be a string" });
    else if ([...value].length > maxLengthOf(name, template.params)) {
      errors.push({ path, message: `at most ${maxLengthOf(name, template.params)} characters` });
    } else if (template.type === "otp" && name === "code" && !/^[0-9]{4,10}$/.test(value)) {
      errors.push({ path, message: "an otp code is 4–10 digits" });
    }
  }
  for (const name of Object.keys(params)) {
    if (!template.placeholders.includes(name)) errors.push({ path: `body.params.${name}`, message: "unknown: the template has no such placeholder" });
  }
  return errors;
}

/**
 * The reasons a template is rejected at once, all of them; none means it waits for an operator.
 * `blocked` screens the template's own text (placeholders left out) against the content rules.
 */
export function prescreenTemplate(
  template: { body: string; type: MessageType; params: ParamDeclarations },
  checks: { blocked: (text: string) => string | null; hasOptOut: (text: string) => boolean },
): string[] {
  const reasons: string[] = [];
  const { names, malformed, duplicated } = parsePlaceholders(template.body);
  for (const token of malformed) reasons.push(`malformed placeholder: ${token}`);
  for (const token of duplicated) reasons.push(`duplicated placeholder: ${token}`);
  for (const name of Object.keys(template.params)) {
    if (!names.includes(name)) reasons.push(`declared parameter "${name}" is not a placeholder in the body`);
  }
  const text = template.body.replace(TOKEN, " ");
  const hit = checks.blocked(text);
  if (hit) reasons.push(`blocked content: ${hit}`);
  if (template.type === "marketing" && !checks.hasOptOut(text)) {
    reasons.push('a marketing template needs opt-out wording, e.g. "Reply STOP to opt out", 回T退订 or 拒收请回复R');
  }
  if (template.type === "otp" && !names.includes("code")) reasons.push("an otp template needs a {{code}} placeholder");
  if (malformed.length === 0) {
    // Every placeholder at its longest, in the template's own alphabet (a value outside it is caught at send).
    const filler = analyzeBody(text).encoding === "GSM-7" ? "x" : "字";
    const longest = render(template.body, Object.fromEntries(names.map((n) => [n, filler.repeat(maxLengthOf(n, template.params))])));
    const { segments } = analyzeBody(longest);
    if (segments > MAX_SEGMENTS) {
      reasons.push(`with every parameter at its maximum length the message needs ${segments} segments; at most ${MAX_SEGMENTS} are allowed`);
    }
  }
  return reasons;
}
