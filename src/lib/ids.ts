import { monotonicFactory } from "ulidx";

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
} as const;

export type IdKind = keyof typeof ID_PREFIXES;

// Monotonic within an isolate, so ids made in the same millisecond still sort by creation.
const ulid = monotonicFactory();

export function newId(kind: IdKind, now = Date.now()): string {
  return `${ID_PREFIXES[kind]}_${ulid(now)}`;
}
