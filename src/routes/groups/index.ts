import { createRouter } from "../../lib/create-router";
import { IdParam, jsonBody, jsonResponse, tenantRoute } from "../../lib/openapi";
import { listQuery, page } from "../../lib/pagination";
import { addMembers, createGroup, deleteGroup, getGroup, listGroups, removeMember, renameGroup } from "../../services/contacts";
import { AddMembersBody, AddMembersResult, Group, GroupBody, GroupList, MemberParams, presentGroup } from "./schemas";

// /v1/groups: named groups of contacts, the audiences of group batches.
const groupsTag = { tags: ["Groups"] };

const createGroupRoute = tenantRoute({
  method: "post",
  path: "/",
  ...groupsTag,
  summary: "Create a group",
  request: { body: jsonBody(GroupBody) },
  responses: { 201: jsonResponse(Group, "The group.") }
});

const listGroupsRoute = tenantRoute({
  method: "get",
  path: "/",
  ...groupsTag,
  summary: "List groups with member counts, newest first",
  request: { query: listQuery },
  responses: { 200: jsonResponse(GroupList, "A page of groups.") }
});

const getGroupRoute = tenantRoute({
  method: "get",
  path: "/{id}",
  ...groupsTag,
  summary: "Get a group",
  request: { params: IdParam },
  responses: { 200: jsonResponse(Group, "The group.") }
});

const patchGroupRoute = tenantRoute({
  method: "patch",
  path: "/{id}",
  ...groupsTag,
  summary: "Rename a group",
  request: { params: IdParam, body: jsonBody(GroupBody) },
  responses: { 200: jsonResponse(Group, "The group.") }
});

const deleteGroupRoute = tenantRoute({
  method: "delete",
  path: "/{id}",
  ...groupsTag,
  summary: "Delete a group; its contacts stay",
  request: { params: IdParam },
  responses: { 204: { description: "Deleted." } }
});

const addMembersRoute = tenantRoute({
  method: "post",
  path: "/{id}/members",
  ...groupsTag,
  summary: "Add contacts to a group, by id or by phone",
  request: { params: IdParam, body: jsonBody(AddMembersBody) },
  responses: { 200: jsonResponse(AddMembersResult, "The group, and what could not be added.") }
});

const removeMemberRoute = tenantRoute({
  method: "delete",
  path: "/{id}/members/{contact_id}",
  ...groupsTag,
  summary: "Remove a contact from a group",
  request: { params: MemberParams },
  responses: { 204: { description: "Removed." } }
});

export const router = createRouter()
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
