import { and, asc, desc, eq, isNull, sql, type SQL } from "drizzle-orm";
import type { Db } from "../db/client";
import { templates, templateVersions, type TemplateRow, type TemplateVersionRow } from "../db/schema";
import { findBlocked, hasOptOut } from "../domain/content-policy";
import type { KeyMode } from "../domain/api-key";
import type { MessageType } from "../domain/message-status";
import { parsePlaceholders, prescreenTemplate, type ParamDeclarations, type TemplateStatus } from "../domain/templates";
import { ApiError } from "../lib/errors";
import { newId } from "../lib/ids";
import { afterTimeCursor, idBefore } from "../lib/pagination";
import { TtlCache } from "../lib/ttl-cache";
import { screeningFor } from "./content-policies";

export type TemplateWithVersion = TemplateRow & { latest: TemplateVersionRow };

export interface TemplateInput {
  name: string;
  body: string;
  type: MessageType;
  description?: string | null;
  params?: ParamDeclarations;
}

/** The version a send renders, as cached per isolate. */
export interface ServingTemplate {
  id: string;
  version: number;
  type: MessageType;
  body: string;
  params: ParamDeclarations;
  placeholders: string[];
  status: TemplateStatus;
}

/** How long an isolate may keep serving a template version it has read; docs/TEMPLATES.md says so. */
export const TEMPLATE_CACHE_MS = 60_000;
const serving = new TtlCache<{ approved: ServingTemplate | null; latest: ServingTemplate }>(TEMPLATE_CACHE_MS);
const cacheKey = (tenantId: string, id: string) => `${tenantId}:${id}`;

/** The new version's verdict: rejected at once with every reason, or waiting for an operator. */
async function prescreen(control: Db, tenantId: string, input: { body: string; type: MessageType; params: ParamDeclarations }) {
  const { rules } = await screeningFor(control, tenantId);
  const reasons = prescreenTemplate(input, {
    blocked: (text) => {
      const rule = findBlocked(text, rules);
      return rule && `${rule.label} (${rule.id})`;
    },
    hasOptOut,
  });
  return reasons.length > 0 ? { status: "rejected" as const, reasons } : { status: "pending_review" as const, reasons: null };
}

export async function createTemplate(db: Db, control: Db, tenantId: string, input: TemplateInput): Promise<TemplateWithVersion> {
  const now = Date.now();
  const params = input.params ?? {};
  const verdict = await prescreen(control, tenantId, { body: input.body, type: input.type, params });
  const row: TemplateRow = {
    id: newId("template", now),
    tenantId,
    name: input.name,
    type: input.type,
    description: input.description ?? null,
    status: verdict.status,
    latestVersion: 1,
    approvedVersion: null,
    createdAt: now,
    updatedAt: now,
    deletedAt: null,
  };
  const version: TemplateVersionRow = {
    templateId: row.id,
    version: 1,
    body: input.body,
    params,
    status: verdict.status,
    reasons: verdict.reasons,
    createdAt: now,
    reviewedAt: verdict.status === "rejected" ? now : null,
  };
  await db.batch([db.insert(templates).values(row), db.insert(templateVersions).values(version)]);
  return { ...row, latest: version };
}

export async function getTemplate(db: Db, tenantId: string, id: string): Promise<TemplateWithVersion> {
  const [row] = await db
    .select({ template: templates, latest: templateVersions })
    .from(templates)
    .innerJoin(templateVersions, and(eq(templateVersions.templateId, templates.id), eq(templateVersions.version, templates.latestVersion)))
    .where(and(eq(templates.id, id), eq(templates.tenantId, tenantId), isNull(templates.deletedAt)));
  if (!row) throw new ApiError("not_found", `No template ${id}.`);
  return { ...row.template, latest: row.latest };
}

export async function listTemplates(
  db: Db,
  tenantId: string,
  filter: { status?: TemplateStatus; type?: MessageType; limit: number; cursor?: string },
): Promise<TemplateWithVersion[]> {
  const conditions: SQL[] = [eq(templates.tenantId, tenantId), isNull(templates.deletedAt)];
  if (filter.status) conditions.push(eq(templates.status, filter.status));
  if (filter.type) conditions.push(eq(templates.type, filter.type));
  if (filter.cursor) conditions.push(idBefore(templates.id, filter.cursor));
  const rows = await db
    .select({ template: templates, latest: templateVersions })
    .from(templates)
    .innerJoin(templateVersions, and(eq(templateVersions.templateId, templates.id), eq(templateVersions.version, templates.latestVersion)))
    .where(and(...conditions))
    .orderBy(desc(templates.id))
    .limit(filter.limit + 1);
  return rows.map((row) => ({ ...row.template, latest: row.latest }));
}

/**
 * Renames or redescribes a template in place; a new body or new params make a new version, screened
 * again and waiting for review, while the approved version (if any) keeps serving.
 */
export async function updateTemplate(
  db: Db,
  control: Db,
  tenantId: string,
  id: string,
  patch: { name?: string; description?: string | null; body?: string; params?: ParamDeclarations },
): Promise<TemplateWithVersion> {
  const current = await getTemplate(db, tenantId, id);
  const now = Date.now();
  const details = {
    ...(patch.name !== undefined && { name: patch.name }),
    ...(patch.description !== undefined && { description: patch.description }),
  };
  if (patch.body === undefined && patch.params === undefined) {
    if (Object.keys(details).length === 0) return current;
    const [row] = await db.update(templates).set(details).where(eq(templates.id, id)).returning();
    return { ...row!, latest: current.latest };
  }
  const body = patch.body ?? current.latest.body;
  const params = patch.params ?? current.latest.params;
  const verdict = await prescreen(control, tenantId, { body, type: current.type, params });
  const version: TemplateVersionRow = {
    templateId: id,
    version: current.latestVersion + 1,
    body,
    params,
    status: verdict.status,
    reasons: verdict.reasons,
    createdAt: now,
    reviewedAt: verdict.status === "rejected" ? now : null,
  };
  // The version number is the primary key with the template id: of two concurrent edits, one fails.
  const [, updated] = await db
    .batch([
      db.insert(templateVersions).values(version).onConflictDoNothing(),
      db
        .update(templates)
        .set({ ...details, status: verdict.status, latestVersion: version.version, updatedAt: now })
        .where(and(eq(templates.id, id), eq(templates.latestVersion, current.latestVersion)))
        .returning(),
    ]);
  if (!updated[0]) throw new ApiError("edit_conflict", "The template was changed by another request at the same time; fetch it and try again.");
  serving.delete(cacheKey(tenantId, id));
  return { ...updated[0], latest: version };
}

/** Deleted templates stay in the table, so messages sent from them still name them. */
/**
 * Deletes a template unless something still waiting will send it: a scheduled message made from it, or
 * a batch not yet expanded that renders it (409 `in_use`). One conditional statement, so a batch made
 * at the same moment cannot slip in between the check and the delete.
 */
export async function deleteTemplate(db: Db, tenantId: string, id: string): Promise<void> {
  await getTemplate(db, tenantId, id);
  const deleted = await db
    .update(templates)
    .set({ deletedAt: Date.now() })
    .where(
      and(
        eq(templates.id, id),
        eq(templates.tenantId, tenantId),
        sql`NOT EXISTS (SELECT 1 FROM messages WHERE tenant_id = ${tenantId} AND mode IN ('test', 'live') AND status = 'scheduled' AND template_id = ${id})`,
        sql`NOT EXISTS (SELECT 1 FROM batches WHERE tenant_id = ${tenantId} AND mode IN ('test', 'live') AND status IN ('scheduled', 'expanding') AND template_id = ${id})`,
      ),
    )
    .returning({ id: templates.id });
  if (deleted.length === 0) {
    throw new ApiError("in_use", `Template ${id} is used by scheduled messages or batches still to send; cancel them first.`);
  }
  serving.delete(cacheKey(tenantId, id));
}

/**
 * An operator's decision on a template's latest version. Only a version waiting for review can be
 * decided, and the update is conditional, so two operators cannot both decide it.
 */
export async function reviewTemplate(
  db: Db,
  id: string,
  decision: { approve: true } | { approve: false; reason: string },
): Promise<TemplateWithVersion> {
  const template = await db.query.templates.findFirst({ where: and(eq(templates.id, id), isNull(templates.deletedAt)) });
  if (!template) throw new ApiError("not_found", `No template ${id}.`);
  const now = Date.now();
  const status = decision.approve ? ("approved" as const) : ("rejected" as const);
  const pending = and(eq(templates.id, id), eq(templates.latestVersion, template.latestVersion), eq(templates.status, "pending_review"));
  const [updated, versions] = await db.batch([
    db
      .update(templates)
      .set({ status, ...(decision.approve && { approvedVersion: template.latestVersion }) })
      .where(pending)
      .returning(),
    db
      .update(templateVersions)
      .set({ status, reasons: decision.approve ? null : [decision.reason], reviewedAt: now })
      .where(
        and(
          eq(templateVersions.templateId, id),
          eq(templateVersions.version, template.latestVersion),
          eq(templateVersions.status, "pending_review"),
        ),
      )
      .returning(),
  ]);
  if (!updated[0] || !versions[0]) {
    throw new ApiError("review_not_pending", `Template ${id} version ${template.latestVersion} is ${template.status}, not waiting for review.`);
  }
  serving.delete(cacheKey(template.tenantId, id));
  return { ...updated[0], latest: versions[0] };
}

/** Templates across tenants by status, oldest submission first: the operator's review queue. */
export async function reviewQueue(
  db: Db,
  filter: { status?: TemplateStatus; limit: number; cursor?: string },
): Promise<TemplateWithVersion[]> {
  const conditions: (SQL | undefined)[] = [isNull(templates.deletedAt)];
  if (filter.status) conditions.push(eq(templates.status, filter.status));
  if (filter.cursor) conditions.push(afterTimeCursor({ at: templates.updatedAt, id: templates.id }, filter.cursor));
  const rows = await db
    .select({ template: templates, latest: templateVersions })
    .from(templates)
    .innerJoin(templateVersions, and(eq(templateVersions.templateId, templates.id), eq(templateVersions.version, templates.latestVersion)))
    .where(and(...conditions))
    .orderBy(asc(templates.updatedAt), asc(templates.id))
    .limit(filter.limit + 1);
  return rows.map((row) => ({ ...row.template, latest: row.latest }));
}

const toServing = (template: TemplateRow, version: TemplateVersionRow): ServingTemplate => ({
  id: template.id,
  version: version.version,
  type: template.type,
  body: version.body,
  params: version.params,
  placeholders: parsePlaceholders(version.body).names,
  status: version.status,
});

/**
 * The version a send renders: the approved one for live keys; test keys may also use one still
 * waiting for review (the latest, unless it was rejected). Cached per isolate for TEMPLATE_CACHE_MS.
 */
export async function servingTemplate(db: Db, tenantId: string, id: string, mode: KeyMode): Promise<ServingTemplate> {
  const versions = await serving.getOrLoad(cacheKey(tenantId, id), async () => {
    const template = await getTemplate(db, tenantId, id);
    const approved =
      template.approvedVersion === null
        ? null
        : template.approvedVersion === template.latestVersion
          ? template.latest
          : await db.query.templateVersions.findFirst({
              where: and(eq(templateVersions.templateId, id), eq(templateVersions.version, template.approvedVersion)),
            });
    return { approved: approved ? toServing(template, approved) : null, latest: toServing(template, template.latest) };
  });
  if (mode === "test" && versions.latest.status === "pending_review") return versions.latest;
  if (versions.approved) return versions.approved;
  throw new ApiError(
    "template_not_approved",
    mode === "live"
      ? `Template ${id} has no approved version yet; live keys send approved templates only.`
      : `Template ${id} has no version that is approved or waiting for review.`,
  );
}
