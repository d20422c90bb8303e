import { B32_CHARACTERS, encodeTime, monotonicFactory } from "ulidx";

/** The one closed list of id prefixes; an id tells what it names and sorts by creation time. */
export const ID_PREFIXES = {
  tenant: "ten",
  apiKey: "key",
  message: "msg",
  simulatorMessage: "sim",
  template: "tpl",
  sender: "snd",
  inbound: "inb",
  contact: "con",
  group: "grp",
  contentRule: "rul",
  ledgerEntry: "led",
  batch: "bat",
} as const;

export type IdKind = keyof typeof ID_PREFIXES;

// Monotonic within an isolate, so ids made in the same millisecond still sort by creation.
const ulid = monotonicFactory();

export function newId(kind: IdKind, now = Date.now()): string {
  return `${ID_PREFIXES[kind]}_${ulid(now)}`;
}

/**
 * The id of a batch's message: the same for the same batch, position and expansion time, so a chunk
 * expanded twice (a redelivered job) names the same messages, and the meter and the outbox count them once.
 * A ULID still: its time is the expansion's; its "random" part is the batch's own, then the position.
 */
export function batchMessageId(batchId: string, position: number, at: number): string {
  let digits = "";
  for (let n = position, i = 0; i < 6; i += 1, n = Math.floor(n / 32)) digits = B32_CHARACTERS[n % 32] + digits;
  return `${ID_PREFIXES.message}_${encodeTime(at, 10)}${batchId.slice(-16, -6)}${digits}`;
}
