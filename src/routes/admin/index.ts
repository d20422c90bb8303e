import { createRouter } from "../../lib/create-router";
import { adminRoute, idempotencyHeader, jsonBody, jsonResponse } from "../../lib/openapi";
import { createApiKey, revokeApiKey } from "../../services/api-keys";
import { meterFor } from "../../meter/client";
import { creditTenant, ledgerPage } from "../../services/billing";
import { assignNumber } from "../../services/inbound";
import { e164Of } from "../../services/recipients";
import { FALLBACK_UNIT_PRICE, listPrices, putPrice } from "../../services/prices";
import { createTenant, getTenant, updateTenant } from "../../services/tenants";
import { ERASE_TENANTS_PER_REQUEST, eraseEverywhere, erasePlatformData } from "../../services/erasure";
import { asc, gt } from "drizzle-orm";
import { decodeCursor, encodeCursor, invalidCursor, listQuery } from "../../lib/pagination";
import { everyShard, reachableShard, shardDb } from "../../db/shards";
import { tenants } from "../../db/schema";
import { CountryQuery, NumberParam, OperatorErasure } from "../recipients/schemas";
import { createCredentialFrom, CreateCredentialBody, CreatedCredentialSchema } from "../keys/credentials";
import { ApiKey, CreatedApiKey, CreateKeyBody, KeyIdParam, presentCreatedKey, presentKey } from "../keys/schemas";
import {
  AssignNumberBody,
  CountryParam,
  CreateTenantBody,
  CreditBody,
  LedgerEntry,
  LedgerPage,
  presentLedgerEntry,
  presentPrice,
  presentTenant,
  presentTenantDetail,
  Price,
  PriceList,
  PutPriceBody,
  Tenant,
  TenantDetail,
  TenantIdParam,
  TenantNumber,
  UpdateTenantBody,
} from "./schemas";

const tags = ["Operator"];

const createTenantRoute = adminRoute({
  method: "post",
  path: "/tenants",
  tags,
  summary: "Create a tenant",
  request: { body: jsonBody(CreateTenantBody) },
  responses: { 201: jsonResponse(Tenant, "The new tenant.") }
});

const getTenantRoute = adminRoute({
  method: "get",
  path: "/tenants/{id}",
  tags,
  summary: "Get a tenant with its balance and limits",
  request: { params: TenantIdParam },
  responses: { 200: jsonResponse(TenantDetail, "The tenant.") }
});

const updateTenantRoute = adminRoute({
  method: "patch",
  path: "/tenants/{id}",
  tags,
  summary: "Change a tenant's name, limits, per-recipient caps and retention, or exempt it from metering",
  description: "`limits` may name any subset, down to one window of one message type; the rest is kept.",
  request: { params: TenantIdParam, body: jsonBody(UpdateTenantBody) },
  responses: { 200: jsonResponse(TenantDetail, "The tenant as changed.") }
});

const creditRoute = adminRoute({
  method: "post",
  path: "/tenants/{id}/credit",
  tags,
  summary: "Add to a tenant's balance",
  description: "Send an `Idempotency-Key` to make retries safe: the same key answers the first entry (200) and credits nothing more.",
  request: {
    params: TenantIdParam,
    headers: idempotencyHeader("A retry with the same key (kept for good) answers the first credit and adds nothing.", "invoice-2026-11-0042"),
    body: jsonBody(CreditBody)
  },
  errors: ["idempotency_mismatch"],
  responses: {
    200: jsonResponse(LedgerEntry, "A retry: the entry the first request made."),
    201: jsonResponse(LedgerEntry, "The ledger entry, with the new balance."),
  },
});

const ledgerRoute = adminRoute({
  method: "get",
  path: "/tenants/{id}/ledger",
  tags,
  summary: "A tenant's ledger, newest first: every reserve, refund and credit",
  request: { params: TenantIdParam, query: listQuery },
  responses: { 200: jsonResponse(LedgerPage, "A page of entries.") }
});

const assignNumberRoute = adminRoute({
  method: "post",
  path: "/tenants/{id}/numbers",
  tags,
  summary: "Assign a number to a tenant: replies to it reach that tenant",
  request: { params: TenantIdParam, body: jsonBody(AssignNumberBody) },
  errors: ["invalid_number", "already_exists"],
  responses: {
    200: jsonResponse(TenantNumber, "Already this tenant's."),
    201: jsonResponse(TenantNumber, "Assigned."),
  },
});

const listPricesRoute = adminRoute({
  method: "get",
  path: "/prices",
  tags,
  summary: "The price list: micro-units per segment by destination country",
  responses: { 200: jsonResponse(PriceList, "Every price, by country.") }
});

const putPriceRoute = adminRoute({
  method: "put",
  path: "/prices/{country}",
  tags,
  summary: "Set the price per segment for a country, or `default` for every other country",
  description: "Applies to messages accepted from then on, in every Worker isolate within a minute.",
  request: { params: CountryParam, body: jsonBody(PutPriceBody) },
  responses: { 200: jsonResponse(Price, "The price.") }
});

const createKeyRoute = adminRoute({
  method: "post",
  path: "/tenants/{id}/keys",
  tags,
  summary: "Create an API key for a tenant",
  description: "The full key is in this response only; only its SHA-256 hash is stored.",
  request: { params: TenantIdParam, body: jsonBody(CreateKeyBody) },
  responses: { 201: jsonResponse(CreatedApiKey, "The new key.") }
});

const revokeKeyRoute = adminRoute({
  method: "delete",
  path: "/tenants/{id}/keys/{key_id}",
  tags,
  summary: "Revoke a tenant's API key",
  request: { params: TenantIdParam.merge(KeyIdParam) },
  responses: { 200: jsonResponse(ApiKey, "The revoked key.") }
});

const createCredentialRoute = adminRoute({
  method: "post",
  path: "/tenants/{id}/keys/{key_id}/credentials",
  tags,
  summary: "Create Twilio or Alibaba credentials for a tenant's key",
  description: "As `POST /v1/keys/{id}/credentials`, for any active key of the tenant. The secret is in this response only.",
  request: { params: TenantIdParam.merge(KeyIdParam), body: jsonBody(CreateCredentialBody) },
  errors: ["limit_exceeded"],
  responses: { 201: jsonResponse(CreatedCredentialSchema, "The new credential.") },
});

const eraseRoute = adminRoute({
  method: "post",
  path: "/recipients/{number}/erase",
  tags,
  summary: "Erase a number's personal data from every tenant",
  description:
    "`POST /v1/recipients/{number}/erase` for every tenant and both key modes, over every shard, " +
    `${ERASE_TENANTS_PER_REQUEST} tenants a request in id order: call again with \`cursor\` = \`next_cursor\` until it is null. Idempotent.`,
  request: { params: NumberParam, query: CountryQuery.merge(listQuery.pick({ cursor: true })) },
  errors: ["invalid_number"],
  responses: { 200: jsonResponse(OperatorErasure, "What was erased, summed over the tenants.") },
});

export const router = createRouter()
  .openapi(createCredentialRoute, async (c) => {
    const { id, key_id } = c.req.valid("param");
    return c.json(await createCredentialFrom(c.env, c.var.control, { tenantId: id }, key_id, c.req.valid("json")), 201);
  })
  .openapi(createTenantRoute, async (c) => {
    return c.json(presentTenant(await createTenant(c.env, c.var.control, c.req.valid("json").name)), 201);
  })
  .openapi(getTenantRoute, async (c) => {
    const tenant = await getTenant(c.var.control, c.req.valid("param").id);
    const account = await meterFor(c.env, tenant.id).account();
    return c.json(presentTenantDetail(tenant, account, c.env.BILLING_CURRENCY), 200);
  })
  .openapi(updateTenantRoute, async (c) => {
    const { name, metered, sandbox, limits, retention_days } = c.req.valid("json");
    const tenant = await updateTenant(c.var.control, c.req.valid("param").id, {
      ...(retention_days !== undefined && { retentionDays: retention_days }),
      ...(name !== undefined && { name }),
      ...(metered !== undefined && { metered }),
      ...(sandbox !== undefined && { sandbox }),
    });
    const meter = meterFor(c.env, tenant.id);
    if (limits) await meter.configure(limits);
    return c.json(presentTenantDetail(tenant, await meter.account(), c.env.BILLING_CURRENCY), 200);
  })
  .openapi(creditRoute, async (c) => {
    const tenant = await getTenant(c.var.control, c.req.valid("param").id);
    const { amount, note } = c.req.valid("json");
    const { entry, replayed } = await creditTenant(c.env, tenant.id, amount, note ?? null, c.req.valid("header")["idempotency-key"]);
    return replayed ? c.json(presentLedgerEntry(entry), 200) : c.json(presentLedgerEntry(entry), 201);
  })
  .openapi(ledgerRoute, async (c) => {
    const tenant = await getTenant(c.var.control, c.req.valid("param").id);
    const { limit, cursor } = c.req.valid("query");
    const { data, next_cursor } = await ledgerPage(c.env, tenant.id, limit, cursor);
    return c.json({ data: data.map(presentLedgerEntry), next_cursor }, 200);
  })
  .openapi(assignNumberRoute, async (c) => {
    const tenant = await getTenant(c.var.control, c.req.valid("param").id);
    const { number, country } = c.req.valid("json");
    const { row, created } = await assignNumber(c.var.control, tenant.id, e164Of(number, country, "body.number"));
    const body = { number: row.number, tenant_id: row.tenantId, created_at: new Date(row.createdAt).toISOString() };
    return created ? c.json(body, 201) : c.json(body, 200);
  })
  .openapi(listPricesRoute, async (c) => {
    const rows = await listPrices(c.var.control);
    return c.json(
      { data: rows.map((row) => presentPrice(row, c.env.BILLING_CURRENCY)), fallback_unit_price: FALLBACK_UNIT_PRICE },
      200,
    );
  })
  .openapi(putPriceRoute, async (c) => {
    const row = await putPrice(c.var.control, c.req.valid("param").country, c.req.valid("json").unit_price);
    return c.json(presentPrice(row, c.env.BILLING_CURRENCY), 200);
  })
  .openapi(createKeyRoute, async (c) => {
    const tenant = await getTenant(c.var.control, c.req.valid("param").id);
    const { mode, scopes = null } = c.req.valid("json");
    return c.json(presentCreatedKey(await createApiKey(c.var.control, tenant.id, mode, scopes)), 201);
  })
  .openapi(eraseRoute, async (c) => {
    const { country, cursor } = c.req.valid("query");
    const number = e164Of(c.req.valid("param").number, country, "path.number");
    const after = cursor === undefined ? "" : decodeCursor(cursor);
    if (after === null) throw invalidCursor();
    // A bounded page of tenants a request: each costs its shard's passes and a meter call.
    const rows = await c.var.control
      .select({ id: tenants.id, shard: tenants.shard })
      .from(tenants)
      .where(gt(tenants.id, after))
      .orderBy(asc(tenants.id))
      .limit(ERASE_TENANTS_PER_REQUEST + 1);
    const page = rows.slice(0, ERASE_TENANTS_PER_REQUEST);
    // Every tenant is erased, or the request fails: a tenant on a shard this Worker does not reach is not skipped.
    const placed = page.map((row) => ({ id: row.id, db: shardDb(c.env, reachableShard(c.env, row.shard)) }));
    const next = rows.length > ERASE_TENANTS_PER_REQUEST ? encodeCursor(page.at(-1)!.id) : null;
    const [tenantsErased, platform] = await Promise.all([
      eraseEverywhere(c.env, placed, number),
      erasePlatformData(everyShard(c.env).map((scope) => scope.db), c.var.control, number),
    ]);
    const { complete: platformComplete, ...platformCounts } = platform;
    return c.json({ ...tenantsErased, complete: tenantsErased.complete && platformComplete, platform: platformCounts, next_cursor: next }, 200);
  })
  .openapi(revokeKeyRoute, async (c) => {
    const { id, key_id } = c.req.valid("param");
    return c.json(presentKey(await revokeApiKey(c.var.control, { tenantId: id }, key_id)), 200);
  });
