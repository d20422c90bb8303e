import type { Db } from "../db/client";
import { findBlocked, linkViolation, withOptOut, type ContentHit } from "../domain/content-policy";
import type { MessageType } from "../domain/message-status";
import { withSignature } from "../domain/senders";
import { paramErrors, render } from "../domain/templates";
import { ApiError } from "../lib/errors";
import type { AuthContext } from "../types";
import { screeningFor } from "./content-policies";
import { resolveSender } from "./senders";
import { servingTemplate } from "./templates";

export interface ComposeInput {
  body?: string;
  template_id?: string;
  params?: Record<string, string>;
  type?: MessageType;
  from?: string;
}

/** The message as it will be sent: its final text, and what it was made from. */
export interface Composed {
  body: string;
  type: MessageType;
  from: string | null;
  templateId: string | null;
  templateVersion: number | null;
}

const blocked = (hit: ContentHit) =>
  new ApiError("content_blocked", `The message breaks a content rule: ${hit.label}.`, { extra: { rule: { id: hit.id, label: hit.label } } });

/** What composing needs besides the text: the template, the sender and the screening, read once. */
export type CompositionContext = Awaited<ReturnType<typeof loadComposition>>;

/** Reads what a message (or every message of a batch) is composed from: each a per-isolate copy at most a minute old. */
export async function loadComposition(db: Db, control: Db, auth: AuthContext, input: Pick<ComposeInput, "template_id" | "from">) {
  const [template, sender, screening] = await Promise.all([
    input.template_id ? servingTemplate(db, auth.tenantId, input.template_id, auth.mode) : null,
    resolveSender(db, control, auth.tenantId, input.from, auth.mode),
    screeningFor(control, auth.tenantId),
  ]);
  return { template, sender, screening };
}

/**
 * Renders a template (or takes the free text), puts the sender's signature in front and, for
 * marketing, the opt-out suffix at the end, then screens the result against the platform's and the
 * tenant's content rules and link policy.
 */
export function composeWith(context: CompositionContext, input: Pick<ComposeInput, "body" | "params" | "type">): Composed {
  const { template, sender, screening } = context;
  let text: string;
  let type: MessageType;
  if (template) {
    if (input.type && input.type !== template.type) {
      throw new ApiError("validation_failed", "The type differs from the template's.", {
        errors: [{ path: "body.type", message: `the template is ${template.type}; leave type out or send ${template.type}` }],
      });
    }
    const params = input.params ?? {};
    const errors = paramErrors(template, params);
    if (errors.length > 0) {
      throw new ApiError("validation_failed", `The params do not fit template ${template.id}: ${errors.map((e) => e.path).join(", ")}.`, { errors });
    }
    text = render(template.body, params);
    type = template.type;
  } else {
    text = input.body ?? "";
    type = input.type ?? "notification";
  }
  const body = withOptOut(withSignature(text, sender), type, screening.optOutSuffix);
  const rule = findBlocked(body, screening.rules);
  if (rule) throw blocked(rule);
  const link = linkViolation(body, type, screening);
  if (link) throw blocked(link);
  return { body, type, from: sender?.value ?? null, templateId: template?.id ?? null, templateVersion: template?.version ?? null };
}

export async function composeMessage(db: Db, control: Db, auth: AuthContext, input: ComposeInput): Promise<Composed> {
  return composeWith(await loadComposition(db, control, auth, input), input);
}
