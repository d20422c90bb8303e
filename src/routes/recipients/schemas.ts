import { z } from "@hono/zod-openapi";
import { ERASE_PASS, ERASE_PASSES } from "../../services/erasure";
import { countryCode } from "../../lib/openapi";

// Shapes shared by the resources keyed by a number (/v1/blocklist, /v1/allowlist, /v1/recipients) and imports.

export const NumberParam = z.object({
  number: z.string().min(1).max(32).openapi({ param: { name: "number", in: "path" }, example: "+8613800138000", description: "E.164 (URL-encode the +), or national with `country`." }),
});

export const CountryQuery = z.object({
  country: countryCode.optional(),
});

export const UnblockQuery = CountryQuery.extend({
  reason: z
    .string()
    .trim()
    .min(1)
    .max(500)
    .optional()
    .openapi({ description: "Why a recipient's opt-out (STOP) is lifted: required for one, and recorded in its `opt_out.lifted` event." }),
});

export const ImportReport = z
  .object({
    imported: z.number().int().openapi({ description: "New entries." }),
    updated: z.number().int().openapi({ description: "Entries that were already there." }),
    invalid: z.number().int(),
    errors: z.array(z.object({ row: z.number().int(), input: z.string(), path: z.string(), message: z.string() })).openapi({ description: "The first 100 invalid rows." }),
    errors_not_shown: z.number().int().openapi({ description: "Invalid rows beyond those listed." }),
  })
  .openapi("ImportReport");

const erasedCounts = z
  .object({
    messages: z.number().int().openapi({ description: "Messages to the number: its number and body now read `[erased]`." }),
    inbound: z.number().int().openapi({ description: "Replies from the number: sender, text and payload erased." }),
    contacts: z.number().int().openapi({ description: "Its contact, deleted (and so out of every group)." }),
    batch_recipients: z.number().int().openapi({ description: "Its entries in batch recipient lists and rejects." }),
    events: z.number().int().openapi({ description: "Events about those messages and replies, their data replaced by `{\"erased\": true}`." }),
    receipts: z.number().int().openapi({ description: "Carrier receipts of those messages, their raw payload erased." }),
  })
  .openapi("ErasedCounts");

const complete = z.boolean().openapi({
  description: `False when the number had more records than one request erases (${ERASE_PASSES} passes of ${ERASE_PASS} of each kind): call again to finish.`,
});

export const Erasure = z
  .object({
    number: z.string(),
    complete,
    erased: erasedCounts,
    block_kept_as_hash: z.boolean().openapi({
      description: "The number was blocked (opted out, or by you): the block is kept as a salted hash, so it still blocks, and no longer names the number.",
    }),
    allowlist_removed: z.boolean(),
  })
  .openapi("Erasure");

export const OperatorErasure = z
  .object({
    number: z.string(),
    complete,
    tenants: z.number().int().openapi({ description: "Tenants that had something of the number." }),
    erased: erasedCounts,
    blocks_kept_as_hash: z.number().int(),
    platform: z
      .object({ inbound: z.number().int(), receipts: z.number().int() })
      .openapi({ description: "What no tenant owns: replies to numbers no tenant has, and carrier receipts that matched no message, on every shard." }),
    next_cursor: z.string().nullable().openapi({ description: "More tenants are left: call again with `cursor` set to this." }),
  })
  .openapi("OperatorErasure");
