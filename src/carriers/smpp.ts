import type { ParsedReceipt, PartStatus } from "../domain/receipts";

export const SMPP = "smpp";

/** SMPP 3.4 delivery receipt `stat:` values (Appendix B) in ours. */
export const SMPP_STATUSES: Record<string, PartStatus | null> = {
  ENROUTE: "sent",
  ACCEPTD: "sent",
  DELIVRD: "delivered",
  EXPIRED: "undelivered",
  DELETED: "undelivered",
  UNDELIV: "undelivered",
  REJECTD: "undelivered",
  UNKNOWN: null,
};

const FIELD = /(id|sub|dlvrd|submit date|done date|stat|err):(\S*)/gi;

/**
 * Reads the delivery-receipt text an SMSC puts in a deliver_sm's short_message:
 * `id:… sub:… dlvrd:… submit date:YYMMDDhhmm[ss] done date:YYMMDDhhmm[ss] stat:DELIVRD err:000 text:…`.
 * Field names in any case; `text:` and what follows it is the message's start and is not read.
 */
export function parseSmppReceipt(text: string): ParsedReceipt | null {
  const head = text.split(/\btext:/i)[0]!;
  const fields = new Map<string, string>();
  for (const [, name, value] of head.matchAll(FIELD)) fields.set(name!.toLowerCase(), value!);
  const id = fields.get("id");
  const stat = fields.get("stat")?.toUpperCase();
  if (!id || !stat) return null;
  const status = SMPP_STATUSES[stat] ?? null;
  const err = fields.get("err") ?? "000";
  const errorCode = status === "undelivered" ? (/^0+$/.test(err) ? `smpp_${stat.toLowerCase()}` : `smpp_err_${err}`) : null;
  const done = fields.get("done date");
  return { carrierMessageId: id, status, errorCode, carrierStatus: stat, carrierTime: done ? smppDate(done) : null };
}

/** YYMMDDhhmm or YYMMDDhhmmss, in the SMSC's own (unstated) zone: kept as written, in ISO order. */
export function smppDate(value: string): string | null {
  const m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?$/.exec(value);
  if (!m) return null;
  return `20${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6] ?? "00"}`;
}
