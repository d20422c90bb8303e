import { z } from "@hono/zod-openapi";
import type { PriceRow, TenantRow } from "../../db/schema";
import { countryCode } from "../../lib/openapi";
import { Limits, LimitsPatch, retentionDays } from "../account/schemas";
import type { AccountState, LedgerEntry as MeterLedgerEntry } from "../../meter/types";

export const CreateTenantBody = z.object({ name: z.string().trim().min(1).max(200) }).strict().openapi("CreateTenantRequest");

export const Tenant = z
  .object({ id: z.string().openapi({ example: "ten_01JD4Z0Q7W3X5Y6Z7A8B9C0D1E" }), name: z.string(), created_at: z.string() })
  .openapi("Tenant");

export const TenantIdParam = z.object({
  id: z.string().min(1).max(64).openapi({ param: { name: "id", in: "path" } }),
});

export function presentTenant(row: TenantRow): z.infer<typeof Tenant> {
  return { id: row.id, name: row.name, created_at: new Date(row.createdAt).toISOString() };
}

export const TenantDetail = Tenant.extend({
  shard: z.string().openapi({ description: "The database that holds the tenant's data, chosen when it was created.", example: "SHARD_1" }),
  retention_days: retentionDays,
  metered: z.boolean(),
  sandbox: z.boolean().openapi({ description: "Live keys may send only to the allow list (at most 10 numbers)." }),
  balance: z.number().int().openapi({ description: "Micro-units of `currency`." }),
  currency: z.string(),
  limits: Limits,
}).openapi("TenantDetail");

export function presentTenantDetail(row: TenantRow, account: AccountState, currency: string): z.infer<typeof TenantDetail> {
  return { ...presentTenant(row), shard: row.shard, retention_days: row.retentionDays, metered: row.metered, sandbox: row.sandbox, balance: account.balance, currency, limits: account.limits };
}

export const UpdateTenantBody = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    metered: z.boolean().optional().openapi({ description: "False exempts the tenant from all metering and charges." }),
    sandbox: z.boolean().optional().openapi({ description: "False lifts the sandbox: live keys may then send to any number." }),
    limits: LimitsPatch.optional(),
    retention_days: retentionDays.optional(),
  })
  .strict()
  .openapi("UpdateTenantRequest");

export const CreditBody = z
  .object({
    amount: z.number().int().min(1).max(1_000_000_000_000).openapi({ description: "Micro-units to add.", example: 10_000_000 }),
    note: z.string().trim().min(1).max(500).optional(),
  })
  .strict()
  .openapi("CreditRequest");

export const LedgerEntry = z
  .object({
    id: z.string().openapi({ example: "led_01JD4Z0Q7W3X5Y6Z7A8B9C0D1E" }),
    kind: z.enum(["reserve", "refund", "credit"]),
    amount: z.number().int().openapi({ description: "Signed micro-units: negative for a reserve." }),
    balance: z.number().int().openapi({ description: "The balance after this entry." }),
    message_id: z.string().nullable(),
    note: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi("LedgerEntry");

export const LedgerPage = z.object({ data: z.array(LedgerEntry), next_cursor: z.string().nullable() }).openapi("LedgerPage");

export function presentLedgerEntry(entry: MeterLedgerEntry): z.infer<typeof LedgerEntry> {
  return {
    id: entry.id,
    kind: entry.kind,
    amount: entry.amount,
    balance: entry.balance,
    message_id: entry.messageId,
    note: entry.note,
    created_at: new Date(entry.createdAt).toISOString(),
  };
}

export const CountryParam = z.object({
  country: z
    .string()
    .regex(/^([A-Z]{2}|default)$/, "must be an ISO 3166-1 alpha-2 code such as CN, or `default`")
    .openapi({ param: { name: "country", in: "path" }, example: "CN" }),
});

export const PutPriceBody = z
  .object({ unit_price: z.number().int().min(0).max(100_000_000).openapi({ description: "Micro-units per segment.", example: 35_000 }) })
  .strict()
  .openapi("PutPriceRequest");

export const Price = z
  .object({ country: z.string(), unit_price: z.number().int(), currency: z.string(), updated_at: z.string() })
  .openapi("Price");

export const PriceList = z
  .object({
    data: z.array(Price),
    fallback_unit_price: z.number().int().openapi({ description: "Used for every country while there is no `default` row." }),
  })
  .openapi("PriceList");

export function presentPrice(row: PriceRow, currency: string): z.infer<typeof Price> {
  return { country: row.country, unit_price: row.unitPrice, currency, updated_at: new Date(row.updatedAt).toISOString() };
}

export const AssignNumberBody = z
  .object({
    number: z.string().min(1).max(32).openapi({ example: "+14155550100" }),
    country: countryCode.optional(),
  })
  .strict()
  .openapi("AssignNumberRequest");

export const TenantNumber = z
  .object({ number: z.string(), tenant_id: z.string(), created_at: z.string() })
  .openapi("TenantNumber");
