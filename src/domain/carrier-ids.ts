/**
 * Carrier message ids in canonical form, so a receipt finds its message however the carrier writes the id.
 * Case never matters, nor do leading zeros. SMSCs also disagree on the base: the submit response may give
 * `1A2B3C` where the delivery receipt says `1715004` (its decimal), so for SMPP a receipt's id is also
 * tried in the other base.
 */
export function canonicalId(id: string): string {
  const lower = id.trim().toLowerCase();
  const stripped = lower.replace(/^0+(?=.)/, "");
  return /^[0-9a-f]+$/.test(lower) ? stripped : lower;
}

/** Every canonical id a receipt's id may stand for: itself, and for hex/decimal carriers the other base. */
export function receiptIdCandidates(id: string, acrossBases: boolean): string[] {
  const own = canonicalId(id);
  if (!acrossBases) return [own];
  const candidates = new Set([own]);
  // Ids longer than a 128-bit number are not numbers.
  if (/^[0-9]{1,39}$/.test(own)) candidates.add(BigInt(own).toString(16));
  if (/^[0-9a-f]{1,32}$/.test(own)) candidates.add(BigInt(`0x${own}`).toString(10));
  return [...candidates];
}
