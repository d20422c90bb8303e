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
  receipt: "rcp",
  webhookEndpoint: "whk",
  alertRule: "alr",
  deadLetter: "dlq",
} as const;

export type IdKind = keyof typeof ID_PREFIXES;

// Monotonic within an isolate, so ids made in the same millisecond still sort by creation.
const ulid = monotonicFactory();

export function newId(kind: IdKind, now = Date.now()): string {
  return `${ID_PREFIXES[kind]}_${ulid(now)}`;
}

/** `count` Crockford base-32 digits of a non-negative integer, most significant first. */
function base32(value: number, count: number): string {
  let digits = "";
  for (let n = value, i = 0; i < count; i += 1, n = Math.floor(n / 32)) digits = B32_CHARACTERS[n % 32] + digits;
  return digits;
}

/** 32-bit FNV-1a: a fast, well-spread hash (not a secret). */
function fnv1a(text: string, seed = 0x811c9dc5): number {
  let hash = seed;
  for (let i = 0; i < text.length; i += 1) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

/**
 * The id of a batch's message: the same for the same batch, position and expansion time, so a chunk
 * expanded twice (a redelivered job) names the same messages, and the meter and the outbox count them once.
 * A ULID still: its time is the expansion's; its "random" part is 50 bits of a hash of the batch id (ids
 * made in one millisecond differ only in their last characters), then the position.
 */
export function batchMessageId(batchId: string, position: number, at: number): string {
  const batchPart = base32(fnv1a(batchId) >>> 7, 5) + base32(fnv1a(batchId, 0x9e3779b9) >>> 7, 5);
  return `${ID_PREFIXES.message}_${encodeTime(at, 10)}${batchPart}${base32(position, 6)}`;
}

/** The smallest id of a kind made at `at`: every id made earlier sorts before it (ids are ULIDs). */
export const firstIdAt = (prefix: string, at: number): string => `${prefix}_${encodeTime(Math.max(0, Math.min(at, 281474976710655)), 10)}0000000000000000`;
