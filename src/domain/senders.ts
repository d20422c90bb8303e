export const SENDER_KINDS = ["alphanumeric", "numeric", "signature"] as const;
export type SenderKind = (typeof SENDER_KINDS)[number];

const FORMATS: Record<SenderKind, { pattern: RegExp; rule: string }> = {
  alphanumeric: { pattern: /^(?=.*[A-Za-z])[A-Za-z0-9 ]{3,11}$/, rule: "3–11 letters, digits or spaces, at least one letter" },
  numeric: { pattern: /^\+?[0-9]{3,15}$/, rule: "a short code or a number of 3–15 digits" },
  signature: { pattern: /^[\p{L}\p{N} ]{2,12}$/u, rule: "2–12 letters, digits or spaces (shown in 【】)" },
};

/** Why a sender value is not valid for its kind, or null. */
export function senderFormatError(value: string, kind: SenderKind): string | null {
  const format = FORMATS[kind];
  return format.pattern.test(value) && value.trim() === value ? null : `a ${kind} sender is ${format.rule}`;
}

/** How `from` names a signature either way: `阿里云` or `【阿里云】`. */
export function normalizeSenderValue(from: string): string {
  const match = /^【(.+)】$/.exec(from.trim());
  return match ? match[1]! : from.trim();
}

/** The body as sent: a signature goes in front, in 【】; other senders travel beside the body. */
export function withSignature(body: string, sender: { kind: SenderKind; value: string } | null): string {
  return sender?.kind === "signature" ? `【${sender.value}】${body}` : body;
}
