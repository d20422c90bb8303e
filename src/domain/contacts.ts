import { PLACEHOLDER_NAME } from "./templates";

/** Attribute values are template params, so they share the params' longest length. */
export const MAX_ATTRIBUTE_LENGTH = 500;
export const MAX_ATTRIBUTES = 50;

/**
 * A column header as an attribute name usable as a template placeholder: `First Name` → `first_name`.
 * Null when nothing usable is left (e.g. a header of only digits or symbols).
 */
export function attributeName(header: string): string | null {
  const name = header.normalize("NFKC").trim().toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^_+|_+$/g, "");
  return PLACEHOLDER_NAME.test(name) ? name : null;
}

/** The phone column of an import: `phone`, else `number` or `mobile`. */
export const PHONE_COLUMNS = ["phone", "number", "mobile"];
