import { z } from "@hono/zod-openapi";
import type { AllowEntry } from "../../meter/types";

export const AllowBody = z.object({ note: z.string().trim().min(1).max(200).optional() }).strict().openapi("AllowRequest");

export const AllowedNumber = z.object({ number: z.string(), note: z.string().nullable(), created_at: z.string() }).openapi("AllowedNumber");
export const AllowList = z.object({ data: z.array(AllowedNumber), next_cursor: z.string().nullable() }).openapi("AllowList");

export const presentAllowed = (e: AllowEntry) => ({ number: e.number, note: e.note, created_at: new Date(e.created_at).toISOString() });
