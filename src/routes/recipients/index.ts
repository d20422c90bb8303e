import { ApiError } from "../../lib/errors";
import { validationError } from "../../lib/problem";
import { createRouter } from "../../lib/create-router";
import { jsonBody, jsonResponse, tenantRoute } from "../../lib/openapi";
import { decodeCursor, encodeCursor, invalidCursor, listQuery } from "../../lib/pagination";
import {
  allowlistPage,
  allowNumber,
  blocklistPage,
  blockNumber,
  disallowNumber,
  e164Of,
  importBlocklist,
  unblockNumber,
} from "../../services/recipients";
import { csvImportRows, jsonRows } from "../../services/imports";
import { eraseRecipient } from "../../services/erasure";
import {
  AllowBody,
  AllowedNumber,
  AllowList,
  BlockBody,
  BlockedNumber,
  BlockList,
  BlocklistImportJson,
  BlockListQuery,
  CountryQuery,
  Erasure,
  ImportReport,
  NumberParam,
  presentAllowed,
  presentBlocked,
} from "./schemas";

const optionalJson = <T extends Parameters<typeof jsonBody>[0]>(schema: T) => ({ ...jsonBody(schema), required: false as const });

/** The number a page ended on, from its cursor. */
function after(cursor: string | undefined): string | undefined {
  if (!cursor) return undefined;
  const number = decodeCursor(cursor);
  if (!number) throw invalidCursor();
  return number;
}
const page = <T>(data: T[], next: string | null) => ({ data, next_cursor: next && encodeCursor(next) });

const route = (tag: string) => ({ tags: [tag] });

/** The JSON body, already parsed and checked by the route's validator. */
async function importJson(c: { req: { json: () => Promise<unknown> } }) {
  const parsed = BlocklistImportJson.safeParse(await c.req.json());
  if (!parsed.success) throw validationError(parsed.error, "json");
  return parsed.data;
}

const block = tenantRoute({
  method: "put",
  path: "/blocklist/{number}",
  ...route("Block list"),
  summary: "Block a number: nothing more is sent to it",
  request: { params: NumberParam, query: CountryQuery, body: optionalJson(BlockBody) },
  errors: ["invalid_number"],
  responses: { 200: jsonResponse(BlockedNumber, "Already blocked (reason updated)."), 201: jsonResponse(BlockedNumber, "Blocked.") }
});
const unblock = tenantRoute({
  method: "delete",
  path: "/blocklist/{number}",
  ...route("Block list"),
  summary: "Unblock a number",
  request: { params: NumberParam, query: CountryQuery },
  errors: ["invalid_number"],
  responses: { 204: { description: "Unblocked." } }
});
const listBlocked = tenantRoute({
  method: "get",
  path: "/blocklist",
  ...route("Block list"),
  summary: "Blocked numbers, by number, with source and reason",
  request: { query: BlockListQuery },
  responses: { 200: jsonResponse(BlockList, "A page of the block list.") }
});
const importBlocked = tenantRoute({
  method: "post",
  path: "/blocklist/import",
  ...route("Block list"),
  summary: "Block up to 10,000 numbers from JSON or CSV",
  description: "Bodies up to 10 MiB. Valid rows are imported, duplicates merged; invalid rows are reported with their row numbers.",
  request: {
    query: CountryQuery,
    // Not `required`: the JSON validator then runs only for JSON bodies, and CSV streams to the handler.
    body: { required: false, content: { "application/json": { schema: BlocklistImportJson }, "text/csv": { schema: { type: "string" } } } }
  },
  errors: ["invalid_number"],
  responses: { 200: jsonResponse(ImportReport, "What was imported.") }
});
const allow = tenantRoute({
  method: "put",
  path: "/allowlist/{number}",
  ...route("Allow list"),
  summary: "Allow a number: a sandbox recipient, or exempt from per-recipient caps",
  request: { params: NumberParam, query: CountryQuery, body: optionalJson(AllowBody) },
  errors: ["invalid_number", "allowlist_full"],
  responses: {
    200: jsonResponse(AllowedNumber, "Already allowed (note updated)."),
    201: jsonResponse(AllowedNumber, "Allowed."),
  },
});
const disallow = tenantRoute({
  method: "delete",
  path: "/allowlist/{number}",
  ...route("Allow list"),
  summary: "Remove a number from the allow list",
  request: { params: NumberParam, query: CountryQuery },
  errors: ["invalid_number"],
  responses: { 204: { description: "Removed." } }
});
const listAllowed = tenantRoute({
  method: "get",
  path: "/allowlist",
  ...route("Allow list"),
  summary: "Allowed numbers, by number",
  request: { query: listQuery },
  responses: { 200: jsonResponse(AllowList, "A page of the allow list.") }
});

const erase = tenantRoute({
  method: "post",
  path: "/recipients/{number}/erase",
  ...route("Erasure"),
  summary: "Erase a number's personal data (GDPR Art. 17, PIPL Art. 47)",
  description:
    "Erases the number from your records of this key's mode: the number and body of its messages, its replies, its contact, " +
    "its place in batch lists, and what events and receipts said of them. Statuses, prices and times stay, for your books. " +
    "A block (an opt-out, or yours) is kept as a salted hash, so a number that said STOP is still never texted. " +
    "Answers what changed; running it again changes nothing.",
  request: { params: NumberParam, query: CountryQuery },
  errors: ["invalid_number"],
  responses: { 200: jsonResponse(Erasure, "What was erased (all zero when nothing was left).") },
});

export const recipients = createRouter()
  .openapi(block, async (c) => {
    const number = e164Of(c.req.valid("param").number, c.req.valid("query").country, "path.number");
    const reason = c.req.header("content-type") ? (c.req.valid("json")?.reason ?? null) : null;
    const { created, entry } = await blockNumber(c.env, c.var.auth.tenantId, number, reason);
    return created ? c.json(presentBlocked(entry), 201) : c.json(presentBlocked(entry), 200);
  })
  .openapi(unblock, async (c) => {
    await unblockNumber(c.env, c.var.auth.tenantId, e164Of(c.req.valid("param").number, c.req.valid("query").country, "path.number"));
    return c.body(null, 204);
  })
  .openapi(listBlocked, async (c) => {
    const { limit, cursor, source } = c.req.valid("query");
    const { data, next } = await blocklistPage(c.env, c.var.auth.tenantId, limit, after(cursor), source);
    return c.json(page(data.map(presentBlocked), next), 200);
  })
  .openapi(importBlocked, async (c) => {
    const { country } = c.req.valid("query");
    const csv = /^text\/csv/i.test(c.req.header("content-type") ?? "");
    if (!csv && !c.req.raw.body) throw new ApiError("validation_failed", "Send a JSON array or text/csv.", { errors: [{ path: "body", message: "required" }] });
    const source = csv ? csvImportRows(c.req.raw.body!) : jsonRows(await importJson(c));
    const rows = (async function* () {
      for await (const { row, values } of source) yield { row, number: values.phone ?? values.number, reason: values.reason };
    })();
    return c.json(await importBlocklist(c.env, c.var.auth.tenantId, rows, country), 200);
  })
  .openapi(allow, async (c) => {
    const number = e164Of(c.req.valid("param").number, c.req.valid("query").country, "path.number");
    const note = c.req.header("content-type") ? (c.req.valid("json")?.note ?? null) : null;
    const { created, entry } = await allowNumber(c.env, c.var.auth.tenantId, number, note, c.var.auth.sandbox);
    return created ? c.json(presentAllowed(entry), 201) : c.json(presentAllowed(entry), 200);
  })
  .openapi(disallow, async (c) => {
    await disallowNumber(c.env, c.var.auth.tenantId, e164Of(c.req.valid("param").number, c.req.valid("query").country, "path.number"));
    return c.body(null, 204);
  })
  .openapi(listAllowed, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const { data, next } = await allowlistPage(c.env, c.var.auth.tenantId, limit, after(cursor));
    return c.json(page(data.map(presentAllowed), next), 200);
  })
  .openapi(erase, async (c) => {
    const number = e164Of(c.req.valid("param").number, c.req.valid("query").country, "path.number");
    return c.json(await eraseRecipient(c.env, c.var.db, c.var.auth.tenantId, [c.var.auth.mode], number), 200);
  });
