/**
 * What a tenant may see of a carrier's raw payload (a receipt, an inbound reply): everything the carrier
 * posted except the operator's own fields, which say how our carrier account is set up and what it pays:
 * Twilio's account SID, Vonage's API key, signature and price.
 */
const OPERATOR_FIELDS = new Set(["accountsid", "api-key", "api_key", "apikey", "sig", "price", "message-price", "messageprice", "network-code"]);

const isOperatorField = (name: string) => OPERATOR_FIELDS.has(name.toLowerCase());

function withoutOperatorFields(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutOperatorFields);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).filter(([name]) => !isOperatorField(name)).map(([name, v]) => [name, withoutOperatorFields(v)]));
  }
  return value;
}

/** The payload as posted, in its own format (JSON, or a form as Twilio posts), without operator fields. */
export function tenantPayload(raw: string): string {
  const text = raw.trim();
  if (text.startsWith("{") || text.startsWith("[")) {
    try {
      return JSON.stringify(withoutOperatorFields(JSON.parse(text)));
    } catch {
      // Not JSON after all: treated as a form below.
    }
  }
  const form = new URLSearchParams(raw);
  for (const name of [...form.keys()]) if (isOperatorField(name)) form.delete(name);
  return form.toString();
}
