import { createRouter } from "../../lib/create-router";
import { IdParam, jsonBody, jsonResponse, tenantRoute } from "../../lib/openapi";
import { listQuery, page } from "../../lib/pagination";
import { validationError } from "../../lib/problem";
import {
  addMembers,
  createGroup,
  deleteContact,
  deleteGroup,
  getContact,
  getGroup,
  importContacts,
  listContacts,
  listGroups,
  removeMember,
  renameGroup,
  updateContact,
} from "../../services/contacts";
import { csvImportRows, jsonRows } from "../../services/imports";
import { ImportReport } from "../recipients/schemas";
import {
  AddMembersBody,
  AddMembersResult,
  Contact,
  ContactImportJson,
  ContactImportQuery,
  ContactList,
  ContactListQuery,
  Group,
  GroupBody,
  GroupList,
  MemberParams,
  presentContact,
  presentGroup,
  UpdateContactBody,
} from "./schemas";

const contactsTag = { tags: ["Contacts"] };
const groupsTag = { tags: ["Groups"] };

const importRoute = tenantRoute({
  method: "post",
  path: "/contacts/import",
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
  path: "/contacts",
  ...contactsTag,
  summary: "List contacts, newest first, by group or phone prefix",
  request: { query: ContactListQuery },
  errors: ["not_found"],
  responses: { 200: jsonResponse(ContactList, "A page of contacts.") }
});
const getRoute = tenantRoute({
  method: "get",
  path: "/contacts/{id}",
  ...contactsTag,
  summary: "Get a contact",
  request: { params: IdParam },
  responses: { 200: jsonResponse(Contact, "The contact.") }
});
const patchRoute = tenantRoute({
  method: "patch",
  path: "/contacts/{id}",
  ...contactsTag,
  summary: "Change a contact's attributes",
  request: { params: IdParam, body: jsonBody(UpdateContactBody) },
  responses: { 200: jsonResponse(Contact, "The contact.") }
});
const deleteRoute = tenantRoute({
  method: "delete",
  path: "/contacts/{id}",
  ...contactsTag,
  summary: "Delete a contact (and its group memberships)",
  request: { params: IdParam },
  responses: { 204: { description: "Deleted." } }
});
const createGroupRoute = tenantRoute({
  method: "post",
  path: "/groups",
  ...groupsTag,
  summary: "Create a group",
  request: { body: jsonBody(GroupBody) },
  responses: { 201: jsonResponse(Group, "The group.") }
});
const listGroupsRoute = tenantRoute({
  method: "get",
  path: "/groups",
  ...groupsTag,
  summary: "List groups with member counts, newest first",
  request: { query: listQuery },
  responses: { 200: jsonResponse(GroupList, "A page of groups.") }
});
const getGroupRoute = tenantRoute({
  method: "get",
  path: "/groups/{id}",
  ...groupsTag,
  summary: "Get a group",
  request: { params: IdParam },
  responses: { 200: jsonResponse(Group, "The group.") }
});
const patchGroupRoute = tenantRoute({
  method: "patch",
  path: "/groups/{id}",
  ...groupsTag,
  summary: "Rename a group",
  request: { params: IdParam, body: jsonBody(GroupBody) },
  responses: { 200: jsonResponse(Group, "The group.") }
});
const deleteGroupRoute = tenantRoute({
  method: "delete",
  path: "/groups/{id}",
  ...groupsTag,
  summary: "Delete a group; its contacts stay",
  request: { params: IdParam },
  responses: { 204: { description: "Deleted." } }
});
const addMembersRoute = tenantRoute({
  method: "post",
  path: "/groups/{id}/members",
  ...groupsTag,
  summary: "Add contacts to a group, by id or by phone",
  request: { params: IdParam, body: jsonBody(AddMembersBody) },
  responses: { 200: jsonResponse(AddMembersResult, "The group, and what could not be added.") }
});
const removeMemberRoute = tenantRoute({
  method: "delete",
  path: "/groups/{id}/members/{contact_id}",
  ...groupsTag,
  summary: "Remove a contact from a group",
  request: { params: MemberParams },
  responses: { 204: { description: "Removed." } }
});

export const contactsRouter = createRouter()
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
  })
  .openapi(createGroupRoute, async (c) => c.json(presentGroup(await createGroup(c.var.db, c.var.auth.tenantId, c.req.valid("json").name)), 201))
  .openapi(listGroupsRoute, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const { data, next_cursor } = page(await listGroups(c.var.db, c.var.auth.tenantId, limit, cursor), limit);
    return c.json({ data: data.map(presentGroup), next_cursor }, 200);
  })
  .openapi(getGroupRoute, async (c) => c.json(presentGroup(await getGroup(c.var.db, c.var.auth.tenantId, c.req.valid("param").id)), 200))
  .openapi(patchGroupRoute, async (c) => {
    return c.json(presentGroup(await renameGroup(c.var.db, c.var.auth.tenantId, c.req.valid("param").id, c.req.valid("json").name)), 200);
  })
  .openapi(deleteGroupRoute, async (c) => {
    await deleteGroup(c.var.db, c.var.auth.tenantId, c.req.valid("param").id);
    return c.body(null, 204);
  })
  .openapi(addMembersRoute, async (c) => {
    const { group, errors } = await addMembers(c.var.db, c.var.auth.tenantId, c.req.valid("param").id, c.req.valid("json"));
    return c.json({ group: presentGroup(group), errors }, 200);
  })
  .openapi(removeMemberRoute, async (c) => {
    const { id, contact_id } = c.req.valid("param");
    await removeMember(c.var.db, c.var.auth.tenantId, id, contact_id);
    return c.body(null, 204);
  });
