import { and, desc, eq, inArray, like, sql, type SQL } from "drizzle-orm";
import type { Db } from "../db/client";
import { contacts, groupMembers, groups, type ContactRow } from "../db/schema";
import { attributeName, MAX_ATTRIBUTE_LENGTH, MAX_ATTRIBUTES, PHONE_COLUMNS } from "../domain/contacts";
import { parsePhone } from "../domain/phone";
import { ApiError } from "../lib/errors";
import { newId } from "../lib/ids";
import { idBefore } from "../lib/pagination";
import { emptyReport, reportInvalid, type ImportReport } from "./imports";

export const CONTACT_IMPORT_MAX = 100_000;
/**
 * Rows written per statement. They travel as one JSON parameter (D1 allows 100 bound parameters a
 * statement, and a row holds six), so 100,000 rows are 50 statements, well within a request's query limit.
 */
export const IMPORT_CHUNK = 2_000;

export interface ContactInput {
  phone: string;
  attributes: Record<string, string>;
}

export async function getContact(db: Db, tenantId: string, id: string): Promise<ContactRow> {
  const row = await db.query.contacts.findFirst({ where: and(eq(contacts.id, id), eq(contacts.tenantId, tenantId)) });
  if (!row) throw new ApiError("not_found", `No contact ${id}.`);
  return row;
}

export async function listContacts(
  db: Db,
  tenantId: string,
  filter: { group_id?: string; phone_prefix?: string; limit: number; cursor?: string },
): Promise<ContactRow[]> {
  const conditions: SQL[] = [eq(contacts.tenantId, tenantId)];
  if (filter.phone_prefix) conditions.push(like(contacts.phone, `${filter.phone_prefix.replace(/[%_]/g, "")}%`));
  if (filter.group_id) {
    await getGroup(db, tenantId, filter.group_id);
    conditions.push(inArray(contacts.id, db.select({ id: groupMembers.contactId }).from(groupMembers).where(eq(groupMembers.groupId, filter.group_id))));
  }
  if (filter.cursor) conditions.push(idBefore(contacts.id, filter.cursor));
  return db.select().from(contacts).where(and(...conditions)).orderBy(desc(contacts.id)).limit(filter.limit + 1);
}

/** Merges attributes into a contact's; a null value removes that attribute. */
export async function updateContact(db: Db, tenantId: string, id: string, attributes: Record<string, string | null>): Promise<ContactRow> {
  const contact = await getContact(db, tenantId, id);
  const merged = { ...contact.attributes };
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null) delete merged[name];
    else merged[name] = value;
  }
  // Merging must not grow a contact without bound: the same limit as a new contact's, checked on the result.
  if (Object.keys(merged).length > MAX_ATTRIBUTES) {
    throw new ApiError("validation_failed", `A contact has at most ${MAX_ATTRIBUTES} attributes; this change would give it ${Object.keys(merged).length}.`, {
      errors: [{ path: "body.attributes", message: `at most ${MAX_ATTRIBUTES} attributes once merged with the contact's own` }],
    });
  }
  const [row] = await db.update(contacts).set({ attributes: merged, updatedAt: Date.now() }).where(eq(contacts.id, id)).returning();
  return row!;
}

export async function deleteContact(db: Db, tenantId: string, id: string): Promise<void> {
  await getContact(db, tenantId, id);
  await db.batch([db.delete(groupMembers).where(eq(groupMembers.contactId, id)), db.delete(contacts).where(eq(contacts.id, id))]);
}

/**
 * Upserts contacts in chunks, each one statement whose rows travel as a JSON parameter; a phone that
 * exists gets the new attributes merged into its own. Adds every contact to `groupId` when given.
 * Returns how many were new.
 */
async function upsertChunk(
  db: Db,
  tenantId: string,
  chunk: ContactInput[],
  groupId: string | undefined,
): Promise<{ created: number; updated: number; tooMany: Set<string> }> {
  const now = Date.now();
  const proposed = chunk.map((c) => ({ id: newId("contact", now), phone: c.phone, attributes: JSON.stringify(c.attributes) }));
  // A contact that exists keeps its attributes when merging would take it past MAX_ATTRIBUTES: it is not
  // returned, and the import reports its row.
  const returned = await db.all<{ id: string; phone: string }>(sql`
    INSERT INTO contacts (id, tenant_id, phone, attributes, created_at, updated_at)
    SELECT j.value ->> '$.id', ${tenantId}, j.value ->> '$.phone', j.value ->> '$.attributes', ${now}, ${now}
    FROM json_each(${JSON.stringify(proposed)}) AS j WHERE true
    ON CONFLICT (tenant_id, phone) DO UPDATE SET
      attributes = json_patch(contacts.attributes, excluded.attributes), updated_at = excluded.updated_at
    WHERE (SELECT COUNT(*) FROM json_each(json_patch(contacts.attributes, excluded.attributes))) <= ${MAX_ATTRIBUTES}
    RETURNING id, phone`);
  if (groupId) {
    await db.run(sql`
      INSERT OR IGNORE INTO group_members (group_id, contact_id, created_at)
      SELECT ${groupId}, j.value, ${now} FROM json_each(${JSON.stringify(returned.map((r) => r.id))}) AS j`);
  }
  const fresh = new Set(proposed.map((p) => p.id));
  const created = returned.filter((r) => fresh.has(r.id)).length;
  const written = new Set(returned.map((r) => r.phone));
  const tooMany = new Set(chunk.map((c) => c.phone).filter((phone) => !written.has(phone)));
  return { created, updated: returned.length - created, tooMany };
}

/**
 * Imports contacts from rows as they are read (CSV streams; nothing is held twice), normalising
 * numbers to E.164, merging duplicates, reporting invalid rows by row number and keeping the valid
 * ones: partial success is the norm. Rows past CONTACT_IMPORT_MAX are reported, not imported.
 */
export async function importContacts(
  db: Db,
  tenantId: string,
  rows: AsyncIterable<{ row: number; values: Record<string, string> }>,
  options: { country?: string; groupId?: string },
): Promise<ImportReport> {
  if (options.groupId) await getGroup(db, tenantId, options.groupId);
  const report = emptyReport();
  const fail = (row: number, input: string, message: string) => reportInvalid(report, row, input, message);
  // By phone: the attributes so far, and the last row that gave some (the row a refusal is reported on).
  let pending = new Map<string, { attributes: Record<string, string>; row: number; input: string }>();
  const tooMany = `more than ${MAX_ATTRIBUTES} attributes once merged with the contact's own`;
  const flush = async () => {
    if (pending.size === 0) return;
    const rowsOf = pending;
    const chunk = [...rowsOf].map(([phone, { attributes }]) => ({ phone, attributes }));
    pending = new Map();
    const result = await upsertChunk(db, tenantId, chunk, options.groupId);
    report.imported += result.created;
    report.updated += result.updated;
    for (const phone of result.tooMany) fail(rowsOf.get(phone)!.row, rowsOf.get(phone)!.input, tooMany);
  };

  let count = 0;
  for await (const { row, values } of rows) {
    if (++count > CONTACT_IMPORT_MAX) {
      fail(row, "", `an import takes at most ${CONTACT_IMPORT_MAX} rows; this row and those after it were not imported`);
      break;
    }
    const phoneColumn = PHONE_COLUMNS.find((name) => values[name] !== undefined);
    const input = phoneColumn ? values[phoneColumn]! : "";
    const phone = input ? parsePhone(input, options.country) : null;
    if (!phone?.ok) {
      fail(row, input, phone ? phone.detail : "no phone number in this row");
      continue;
    }
    const attributes: Record<string, string> = {};
    let problem: string | null = null;
    for (const [header, value] of Object.entries(values)) {
      if (header === phoneColumn || value === "" || value === undefined) continue;
      const name = attributeName(header);
      if (!name) problem = `column "${header}" is not a usable attribute name`;
      else if (value.length > MAX_ATTRIBUTE_LENGTH) problem = `${name} is longer than ${MAX_ATTRIBUTE_LENGTH} characters`;
      else attributes[name] = String(value);
    }
    if (!problem && Object.keys(attributes).length > MAX_ATTRIBUTES) problem = `more than ${MAX_ATTRIBUTES} attributes`;
    if (problem) {
      fail(row, input, problem);
      continue;
    }
    // A phone seen earlier in this import: its attributes merge, the later row winning.
    const merged = { ...pending.get(phone.e164)?.attributes, ...attributes };
    if (Object.keys(merged).length > MAX_ATTRIBUTES) {
      fail(row, input, tooMany);
      continue;
    }
    pending.set(phone.e164, { attributes: merged, row, input });
    if (pending.size >= IMPORT_CHUNK) await flush();
  }
  await flush();
  return report;
}

// Groups

/** That the tenant has this group, without counting its members (which grows with the group). */
export async function requireGroup(db: Db, tenantId: string, id: string): Promise<void> {
  const row = await db.query.groups.findFirst({ columns: { id: true }, where: and(eq(groups.id, id), eq(groups.tenantId, tenantId)) });
  if (!row) throw new ApiError("not_found", `No group ${id}.`);
}

export async function getGroup(db: Db, tenantId: string, id: string) {
  const [row] = await db
    .select({ group: groups, members: sql<number>`(SELECT COUNT(*) FROM group_members WHERE group_id = ${groups.id})` })
    .from(groups)
    .where(and(eq(groups.id, id), eq(groups.tenantId, tenantId)));
  if (!row) throw new ApiError("not_found", `No group ${id}.`);
  return { ...row.group, memberCount: row.members };
}

export async function createGroup(db: Db, tenantId: string, name: string) {
  const now = Date.now();
  const row = { id: newId("group", now), tenantId, name, createdAt: now, updatedAt: now };
  await db.insert(groups).values(row);
  return { ...row, memberCount: 0 };
}

export async function listGroups(db: Db, tenantId: string, limit: number, cursor?: string) {
  const conditions: SQL[] = [eq(groups.tenantId, tenantId)];
  if (cursor) conditions.push(idBefore(groups.id, cursor));
  const rows = await db
    .select({ group: groups, members: sql<number>`(SELECT COUNT(*) FROM group_members WHERE group_id = ${groups.id})` })
    .from(groups)
    .where(and(...conditions))
    .orderBy(desc(groups.id))
    .limit(limit + 1);
  return rows.map((r) => ({ ...r.group, memberCount: r.members }));
}

export async function renameGroup(db: Db, tenantId: string, id: string, name: string) {
  await getGroup(db, tenantId, id);
  await db.update(groups).set({ name, updatedAt: Date.now() }).where(eq(groups.id, id));
  return getGroup(db, tenantId, id);
}

/** Deletes a group and its memberships; the contacts stay. */
export async function deleteGroup(db: Db, tenantId: string, id: string): Promise<void> {
  await getGroup(db, tenantId, id);
  await db.batch([db.delete(groupMembers).where(eq(groupMembers.groupId, id)), db.delete(groups).where(eq(groups.id, id))]);
}

/**
 * Adds contacts by id (another tenant's ids are reported as not found) or by phone (a number with no
 * contact yet becomes one).
 */
export async function addMembers(db: Db, tenantId: string, groupId: string, input: { contact_ids?: string[]; phones?: string[]; country?: string }) {
  await getGroup(db, tenantId, groupId);
  const ids = new Set<string>();
  const errors: { input: string; message: string }[] = [];
  if (input.contact_ids?.length) {
    const found = await db
      .select({ id: contacts.id })
      .from(contacts)
      .where(and(eq(contacts.tenantId, tenantId), sql`${contacts.id} IN (SELECT value FROM json_each(${JSON.stringify(input.contact_ids)}))`));
    const known = new Set(found.map((r) => r.id));
    for (const id of input.contact_ids) {
      if (known.has(id)) ids.add(id);
      else errors.push({ input: id, message: "no such contact" });
    }
  }
  if (input.phones?.length) {
    const valid: ContactInput[] = [];
    for (const phone of input.phones) {
      const parsed = parsePhone(phone, input.country);
      if (parsed.ok) valid.push({ phone: parsed.e164, attributes: {} });
      else errors.push({ input: phone, message: parsed.detail });
    }
    if (valid.length) await upsertChunk(db, tenantId, valid, groupId);
  }
  if (ids.size) {
    await db.run(sql`
      INSERT OR IGNORE INTO group_members (group_id, contact_id, created_at)
      SELECT ${groupId}, value, ${Date.now()} FROM json_each(${JSON.stringify([...ids])})`);
  }
  return { group: await getGroup(db, tenantId, groupId), errors };
}

export async function removeMember(db: Db, tenantId: string, groupId: string, contactId: string): Promise<void> {
  await getGroup(db, tenantId, groupId);
  const removed = await db
    .delete(groupMembers)
    .where(and(eq(groupMembers.groupId, groupId), eq(groupMembers.contactId, contactId)))
    .returning();
  if (removed.length === 0) throw new ApiError("not_found", `Contact ${contactId} is not in group ${groupId}.`);
}
