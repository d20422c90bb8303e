import type { RecipientRejectCode } from "../domain/batches";
import { analyzeBody, MAX_SEGMENTS, type Encoding } from "../domain/encoding";
import type { MessageType } from "../domain/message-status";
import { parsePhone, smsCapable } from "../domain/phone";
import { ApiError } from "../lib/errors";
import { composeWith, type Composed, type CompositionContext } from "./composition";

export type PreparedRecipient =
  | { ok: true; to: string; country: string | null; composed: Composed; encoding: Encoding; segments: number }
  | { ok: false; code: RecipientRejectCode; detail: string };

const reject = (code: RecipientRejectCode, detail: string): PreparedRecipient => ({ ok: false, code, detail });

/**
 * One recipient of a batch, made ready to send or refused on its own: a number that can take SMS, the
 * template rendered with its params, screened and measured. The checks a single send runs, as values.
 */
export function prepareRecipient(
  context: CompositionContext,
  batch: { type: MessageType; body: string | null },
  recipient: { to: string; params?: Record<string, string> | null },
  country?: string,
): PreparedRecipient {
  const phone = parsePhone(recipient.to, country);
  if (!phone.ok) return reject("invalid_number", phone.detail);
  if (!smsCapable(phone.type)) return reject("number_not_sms_capable", `${phone.e164} is a ${phone.type.replaceAll("_", " ")} number, which cannot receive SMS.`);
  let composed: Composed;
  try {
    composed = composeWith(context, { body: batch.body ?? undefined, params: recipient.params ?? undefined, type: batch.type });
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    if (error.code === "content_blocked") return reject("content_blocked", error.message);
    const fields = error.errors?.map((e) => `${e.path.replace(/^body\.params\./, "")}: ${e.message}`).join("; ");
    return reject("invalid_params", fields || error.message);
  }
  const { encoding, segments } = analyzeBody(composed.body);
  if (segments > MAX_SEGMENTS) return reject("body_too_long", `The body needs ${segments} ${encoding} segments; at most ${MAX_SEGMENTS} are allowed.`);
  return { ok: true, to: phone.e164, country: phone.country, composed, encoding, segments };
}

/** A contact's attributes as params: only those the template has placeholders for (contacts carry more). */
export function paramsFor(attributes: Record<string, string>, placeholders: readonly string[] | null): Record<string, string> {
  if (!placeholders) return {};
  return Object.fromEntries(placeholders.filter((name) => attributes[name] !== undefined).map((name) => [name, attributes[name]!]));
}
