import { IMPORT_BODY_LIMIT } from "../../middleware/json-body";
import { createRouter } from "../../lib/create-router";
import { IdParam, jsonBody, jsonResponse, tenantRoute } from "../../lib/openapi";
import { page } from "../../lib/pagination";
import { validationError } from "../../lib/problem";
import { deleteContact, getContact, importContacts, listContacts, updateContact } from "../../services/contacts";
import { csvImportRows, jsonRows } from "../../services/imports";
import { ImportReport } from "../recipients/schemas";
import { Contact, ContactImportJson, ContactImportQuery, ContactList, ContactListQuery, presentContact, UpdateContactBody } from "./schemas";

// /v1/contacts: a tenant's contacts and their attributes, imported from CSV or JSON.
const contactsTag = { tags: ["Contacts"] };

const importRoute = tenantRoute({
  body: { limit: IMPORT_BODY_LIMIT, types: ["json", "csv"] },
  method: "post",
  path: "/import",
  ...contactsTag,
  summary: "Import up to 100,000 contacts from CSV (streamed) or JSON",
  description:
    "CSV: a header row with `phone` and any attribute columns (`First Name` becomes `first_name`). Bodies up to 10 MiB. " +
    "Numbers are normalised to E.164 (`country` for national formats), duplicates merged, invalid rows reported with row numbers; valid rows are kept.",
  request: {
    query: ContactImportQuery,
    // Not `required`: the JSON validator then runs only for JSON bodies, and CSV streams to the handler.
    body: { required: false, content: { "application/json": { schema: ContactImportJson }, "text/csv": { schema: { type: "string" } } } }
  },
  errors: ["not_found"],
  responses: { 200: jsonResponse(ImportReport, "What was imported.") }
});

const listRoute = tenantRoute({
  method: "get",
  path: "/",
  ...contactsTag,
  summary: "List contacts, newest first, by group or phone prefix",
  request: { query: ContactListQuery },
  errors: ["not_found"],
  responses: { 200: jsonResponse(ContactList, "A page of contacts.") }
});

const getRoute = tenantRoute({
  method: "get",
  path: "/{id}",
  ...contactsTag,
  summary: "Get a contact",
  request: { params: IdParam },
  responses: { 200: jsonResponse(Contact, "The contact.") }
});

const patchRoute = tenantRoute({
  method: "patch",
  path: "/{id}",
  ...contactsTag,
  summary: "Change a contact's attributes",
  request: { params: IdParam, body: jsonBody(UpdateContactBody) },
  responses: { 200: jsonResponse(Contact, "The contact.") }
});

const deleteRoute = tenantRoute({
  method: "delete",
  path: "/{id}",
  ...contactsTag,
  summary: "Delete a contact (and its group memberships)",
  request: { params: IdParam },
  responses: { 204: { description: "Deleted." } }
});

export const router = createRouter()
  .openapi(importRoute, async (c) => {
    const { country, group_id } = c.req.valid("query");
    const csv = /^text\/csv/i.test(c.req.header("content-type") ?? "");
    let rows;
    if (csv && c.req.raw.body) rows = csvImportRows(c.req.raw.body);
    else {
      const parsed = ContactImportJson.safeParse(c.req.raw.body ? await c.req.json() : undefined);
      if (!parsed.success) throw validationError(parsed.error, "json");
      rows = jsonRows(parsed.data);
    }
    return c.json(await importContacts(c.var.db, c.var.auth.tenantId, rows, { country, groupId: group_id }), 200);
  })
  .openapi(listRoute, async (c) => {
    const query = c.req.valid("query");
    const { data, next_cursor } = page(await listContacts(c.var.db, c.var.auth.tenantId, query), query.limit);
    return c.json({ data: data.map(presentContact), next_cursor }, 200);
  })
  .openapi(getRoute, async (c) => c.json(presentContact(await getContact(c.var.db, c.var.auth.tenantId, c.req.valid("param").id)), 200))
  .openapi(patchRoute, async (c) => {
    const row = await updateContact(c.var.db, c.var.auth.tenantId, c.req.valid("param").id, c.req.valid("json").attributes);
    return c.json(presentContact(row), 200);
  })
  .openapi(deleteRoute, async (c) => {
    await deleteContact(c.var.db, c.var.auth.tenantId, c.req.valid("param").id);
    return c.body(null, 204);
  });
