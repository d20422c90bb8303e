import {
  type CountryCode,
  isSupportedCountry,
  ParseError,
  parsePhoneNumberWithError,
  validatePhoneNumberLength,
} from "libphonenumber-js/max";

export const INVALID_NUMBER_REASONS = [
  "not_a_number",
  "invalid_country_code",
  "too_short",
  "too_long",
  "invalid_length",
  "invalid_for_region",
] as const;
export type InvalidNumberReason = (typeof INVALID_NUMBER_REASONS)[number];

/** libphonenumber's number types, in snake case; `unknown` when the metadata cannot tell. */
export const NUMBER_TYPES = [
  "mobile",
  "fixed_line",
  "fixed_line_or_mobile",
  "toll_free",
  "premium_rate",
  "shared_cost",
  "voip",
  "personal_number",
  "pager",
  "uan",
  "voicemail",
  "unknown",
] as const;
export type NumberType = (typeof NUMBER_TYPES)[number];

/** Types that cannot take an SMS. Unknown, VoIP, toll-free and personal numbers may, so they pass. */
const NOT_SMS_CAPABLE: readonly NumberType[] = ["fixed_line", "premium_rate", "shared_cost", "pager", "uan", "voicemail"];

export function smsCapable(type: NumberType): boolean {
  return !NOT_SMS_CAPABLE.includes(type);
}

export type PhoneResult =
  | { ok: true; e164: string; country: string | null; type: NumberType }
  | { ok: false; reason: InvalidNumberReason; detail: string };

// libphonenumber's error names, mapped to the categories Twilio Lookup uses.
const REASON_BY_ERROR: Record<string, InvalidNumberReason> = {
  NOT_A_NUMBER: "not_a_number",
  INVALID_COUNTRY: "invalid_country_code",
  TOO_SHORT: "too_short",
  TOO_LONG: "too_long",
  INVALID_LENGTH: "invalid_length",
};

const DETAIL: Record<InvalidNumberReason, string> = {
  not_a_number: "is not a phone number",
  invalid_country_code:
    "has no valid country calling code: write it in international format (+ and country code) or pass `country`",
  too_short: "is too short for its country",
  too_long: "is too long for its country",
  invalid_length: "has a length that no number of its country has",
  invalid_for_region: "is not a valid number for its country",
};

function invalid(input: string, reason: InvalidNumberReason): PhoneResult {
  return { ok: false, reason, detail: `"${input}" ${DETAIL[reason]}.` };
}

/**
 * Parses a number as a sender writes it (international, or national with a `country` hint) into
 * E.164, using full metadata so that a number of the right length but an unused range is refused.
 */
export function parsePhone(input: string, country?: string): PhoneResult {
  const defaultCountry = country && isSupportedCountry(country) ? (country as CountryCode) : undefined;
  if (country && !defaultCountry) return invalid(input, "invalid_country_code");
  try {
    const phone = parsePhoneNumberWithError(input, { defaultCountry });
    if (phone.isValid()) {
      const type = (phone.getType()?.toLowerCase() ?? "unknown") as NumberType;
      return { ok: true, e164: phone.number, country: phone.country ?? null, type };
    }
    const lengthError = validatePhoneNumberLength(input, { defaultCountry });
    return invalid(input, (lengthError && REASON_BY_ERROR[lengthError]) || "invalid_for_region");
  } catch (error) {
    if (error instanceof ParseError) return invalid(input, REASON_BY_ERROR[error.message] ?? "not_a_number");
    throw error;
  }
}

export interface NumberLookup {
  input: string;
  valid: boolean;
  e164: string | null;
  country: string | null;
  type: NumberType | null;
  sms_capable: boolean;
  reason: InvalidNumberReason | null;
  detail: string | null;
}

/** What lookup answers for one number: valid or not (and why), and what kind of line it is. */
export function lookupNumber(input: string, country?: string): NumberLookup {
  const phone = parsePhone(input, country);
  return phone.ok
    ? { input, valid: true, e164: phone.e164, country: phone.country, type: phone.type, sms_capable: smsCapable(phone.type), reason: null, detail: null }
    : { input, valid: false, e164: null, country: null, type: null, sms_capable: false, reason: phone.reason, detail: phone.detail };
}
