import { z } from "@hono/zod-openapi";
import { INVALID_NUMBER_REASONS, lookupNumber, NUMBER_TYPES } from "../../domain/phone";
import { createRouter } from "../../lib/create-router";
import { countryCode, jsonBody, jsonResponse, tenantRoute } from "../../lib/openapi";

const LookupBody = z
  .object({ numbers: z.array(z.string().max(64)).min(1).max(1000), country: countryCode.optional() })
  .strict()
  .openapi("LookupRequest");

const Lookup = z
  .object({
    input: z.string(),
    valid: z.boolean(),
    e164: z.string().nullable(),
    country: z.string().nullable(),
    type: z.enum(NUMBER_TYPES).nullable().openapi({ description: "libphonenumber's type; `fixed_line_or_mobile` where a country does not tell them apart." }),
    sms_capable: z.boolean().openapi({ description: "False for fixed lines, premium rate, shared cost, pagers, UAN and voicemail: a send is 422 `number_not_sms_capable`." }),
    reason: z.enum(INVALID_NUMBER_REASONS).nullable(),
    detail: z.string().nullable(),
  })
  .openapi("NumberLookup");

const lookup = tenantRoute({
  method: "post",
  path: "/lookup",
  tags: ["Numbers"],
  summary: "Validate and classify up to 1,000 numbers",
  description: "Answers in the order asked. Uses libphonenumber's full metadata, so mobile and fixed-line ranges are told apart.",
  request: { body: jsonBody(LookupBody) },
  responses: {
    200: jsonResponse(z.object({ data: z.array(Lookup) }).openapi("LookupResponse"), "One answer per number, in order."),
  },
});

export const router = createRouter().openapi(lookup, (c) => {
  const { numbers: inputs, country } = c.req.valid("json");
  return c.json({ data: inputs.map((input) => lookupNumber(input, country)) }, 200);
});
