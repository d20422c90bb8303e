import { z } from "@hono/zod-openapi";
import { BLOCK_SOURCES } from "../../domain/admission";
import { listQuery } from "../../lib/pagination";
import type { BlockEntry } from "../../meter/types";

export const BlockBody = z.object({ reason: z.string().trim().min(1).max(200).optional() }).strict().openapi("BlockRequest");

export const BlockedNumber = z
  .object({ number: z.string(), source: z.enum(BLOCK_SOURCES), reason: z.string().nullable(), created_at: z.string() })
  .openapi("BlockedNumber");

export const BlockList = z.object({ data: z.array(BlockedNumber), next_cursor: z.string().nullable() }).openapi("BlockList");
export const BlockListQuery = listQuery.extend({ source: z.enum(BLOCK_SOURCES).optional() });

export const BlocklistImportJson = z
  .array(z.union([z.string().max(64), z.object({ number: z.string().max(64), reason: z.string().max(200).optional() }).strict()]))
  .openapi("BlocklistImportRequest", { description: "Numbers, or {number, reason}; or send text/csv with a `phone` (or `number`) column and an optional `reason`." });

export const presentBlocked = (e: BlockEntry) => ({ number: e.number, source: e.source, reason: e.reason, created_at: new Date(e.created_at).toISOString() });
