// The compatible APIs name our resources in their vendors' formats, reversibly, so a lookup needs no
// mapping table: a ULID is 128 bits, which is exactly Twilio's 32 hex digits, or a decimal number.
const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const ULID = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;

function ulidToBigInt(ulid: string): bigint {
  let value = 0n;
  for (const ch of ulid) value = value * 32n + BigInt(CROCKFORD.indexOf(ch));
  return value;
}

function bigIntToUlid(value: bigint): string {
  let text = "";
  for (let i = 0; i < 26; i += 1, value /= 32n) text = CROCKFORD[Number(value % 32n)] + text;
  return text;
}

const MAX = (1n << 128n) - 1n;

/** `<prefix>_<ULID>` as `<vendorPrefix>` and 32 lowercase hex digits (Twilio's SIDs). */
export function toHexSid(id: string, prefix: string, vendorPrefix: string): string | null {
  const ulid = id.startsWith(`${prefix}_`) ? id.slice(prefix.length + 1) : "";
  return ULID.test(ulid) ? vendorPrefix + ulidToBigInt(ulid).toString(16).padStart(32, "0") : null;
}

/** The id a hex SID names, or null for anything that is not one. */
export function fromHexSid(sid: string, prefix: string, vendorPrefix: string): string | null {
  const hex = sid.startsWith(vendorPrefix) ? sid.slice(vendorPrefix.length) : "";
  return /^[0-9a-f]{32}$/i.test(hex) ? `${prefix}_${bigIntToUlid(BigInt(`0x${hex}`))}` : null;
}

/** `<prefix>_<ULID>` as `<vendorPrefix>` and decimal digits (Alibaba's template codes, `SMS_…`). */
export function toDecimalCode(id: string, prefix: string, vendorPrefix: string): string | null {
  const ulid = id.startsWith(`${prefix}_`) ? id.slice(prefix.length + 1) : "";
  return ULID.test(ulid) ? vendorPrefix + ulidToBigInt(ulid).toString(10) : null;
}

export function fromDecimalCode(code: string, prefix: string, vendorPrefix: string): string | null {
  const digits = code.startsWith(vendorPrefix) ? code.slice(vendorPrefix.length) : "";
  if (!/^\d{1,39}$/.test(digits)) return null;
  const value = BigInt(digits);
  return value <= MAX ? `${prefix}_${bigIntToUlid(value)}` : null;
}
