import { and, asc, eq, gt, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { alertRules, type AlertRuleRow } from "../db/schema";
import { nextState, windowStartHour, type AlertState, type Measurement } from "../domain/alerts";
import { ApiError, limitExceeded } from "../lib/errors";
import type { Owner } from "../types";
import { newId } from "../lib/ids";
import { log } from "../lib/log";
import { meterFor } from "../meter/client";
import { eventIdSql, type EventOutbox } from "./events";
import { runBatch } from "../db/statements";
import { insertJsonRows } from "../db/json-rows";

export type NewAlertRule = Pick<AlertRuleRow, "name" | "kind" | "threshold" | "windowHours" | "country" | "minMessages">;

/** Rules a tenant may have (both modes together): each is evaluated every minute, so their number is bounded. */
export const MAX_ALERT_RULES = 100;

/** Creates a rule unless the tenant has MAX_ALERT_RULES already; the count and the insert are one statement. */
export async function createAlertRule(db: Db, owner: Owner, rule: NewAlertRule): Promise<AlertRuleRow> {
  const now = Date.now();
  const row: AlertRuleRow = {
    ...rule,
    id: newId("alertRule", now),
    tenantId: owner.tenantId,
    mode: owner.mode,
    state: "ok",
    value: null,
    evaluatedAt: null,
    changedAt: null,
    version: 1,
    createdAt: now,
  };
  const room = sql`(SELECT COUNT(*) FROM alert_rules WHERE tenant_id = ${owner.tenantId}) < ${MAX_ALERT_RULES}`;
  const [inserted] = await runBatch<{ id: string }>(db, [sql`${insertJsonRows(alertRules, [row], room)} RETURNING id`]);
  if (inserted!.length === 0) throw limitExceeded("alert rules", MAX_ALERT_RULES);
  return row;
}

/** An owner's rules: its tenant's, of its mode. */
const ownedBy = (owner: Owner) => and(eq(alertRules.tenantId, owner.tenantId), eq(alertRules.mode, owner.mode));

export async function listAlertRules(db: Db, owner: Owner): Promise<AlertRuleRow[]> {
  return db.select().from(alertRules).where(ownedBy(owner)).orderBy(asc(alertRules.id));
}

export async function getAlertRule(db: Db, owner: Owner, id: string): Promise<AlertRuleRow> {
  const row = await db.query.alertRules.findFirst({ where: and(eq(alertRules.id, id), ownedBy(owner)) });
  if (!row) throw new ApiError("not_found", `No alert rule ${id}.`);
  return row;
}

export async function deleteAlertRule(db: Db, owner: Owner, id: string): Promise<void> {
  const deleted = await db.delete(alertRules).where(and(eq(alertRules.id, id), ownedBy(owner))).returning({ id: alertRules.id });
  if (deleted.length === 0) throw new ApiError("not_found", `No alert rule ${id}.`);
}

/** What a rule watches, measured now: from the stats rollup, or the tenant's meter for its balance. */
async function measure(db: Db, env: Pick<Env, "METER">, rule: AlertRuleRow, now: number): Promise<Measurement> {
  if (rule.kind === "balance_below") return { value: (await meterFor(env, rule.tenantId).account()).balance };
  const country = rule.country === null ? sql`` : sql`AND country = ${rule.country}`;
  const [row] = await db.all<{ delivered: number; finished: number; failed: number }>(sql`
    SELECT coalesce(sum(CASE WHEN status = 'delivered' THEN messages END), 0) AS delivered,
      coalesce(sum(CASE WHEN status IN ('delivered', 'undelivered', 'failed', 'expired') THEN messages END), 0) AS finished,
      coalesce(sum(CASE WHEN status = 'failed' THEN messages END), 0) AS failed
    FROM message_stats
    WHERE tenant_id = ${rule.tenantId} AND mode = ${rule.mode} AND hour >= ${windowStartHour(now, rule.windowHours ?? 1)} ${country}`);
  if (rule.kind === "failed_count_above") return { value: row?.failed ?? 0 };
  const finished = row?.finished ?? 0;
  return { value: finished === 0 ? null : (row?.delivered ?? 0) / finished, finished };
}

/** The payload of a rule's alert.firing / alert.resolved event, read from the row as its change left it. */
const alertEventData = sql.raw(`json_object(
  'alert_id', r.id, 'name', r.name, 'kind', r.kind, 'state', r.state, 'threshold', r.threshold, 'value', r.value,
  'window_hours', r.window_hours, 'country', r.country, 'mode', r.mode,
  'changed_at', strftime('%Y-%m-%dT%H:%M:%fZ', r.changed_at / 1000.0, 'unixepoch'))`);

/**
 * Moves a rule to `state` and records its event, once: the update is conditional on the version read,
 * and the event is keyed by the version the update made, so overlapping runs make one event between them.
 */
async function changeState(db: Db, rule: AlertRuleRow, state: AlertState, value: number, now: number): Promise<string[]> {
  const type = state === "firing" ? "alert.firing" : "alert.resolved";
  const [, inserted] = await runBatch<{ id: string }>(db, [
    sql`UPDATE alert_rules SET state = ${state}, value = ${value}, evaluated_at = ${now}, changed_at = ${now}, version = version + 1
      WHERE id = ${rule.id} AND version = ${rule.version}`,
    sql`
      INSERT INTO events (id, tenant_id, mode, type, source, data, created_at)
      SELECT ${eventIdSql(now)}, r.tenant_id, r.mode, ${type}, 'alert:' || r.id || ':' || r.version, ${alertEventData}, ${now}
      FROM alert_rules r WHERE r.id = ${rule.id} AND r.version = ${rule.version + 1} AND r.state = ${state}
      ON CONFLICT DO NOTHING RETURNING id`,
  ]);
  return inserted!.map((row) => row.id);
}

/** Rules read per page by the cron. */
const PAGE = 200;

/**
 * The cron's alert job: measures every rule and, where the answer changed, moves it and records its
 * event (delivered through the tenant's webhooks). A rule whose state holds only has its value noted.
 */
export async function evaluateAlerts(db: Db, env: Pick<Env, "METER">, outbox: EventOutbox, now = Date.now()): Promise<number> {
  let changed = 0;
  let after = "";
  for (;;) {
    const rules = await db.select().from(alertRules).where(gt(alertRules.id, after)).orderBy(asc(alertRules.id)).limit(PAGE);
    if (rules.length === 0) return changed;
    after = rules.at(-1)!.id;
    const noted = [];
    for (const rule of rules) {
      try {
        const measured = await measure(db, env, rule, now);
        const state = nextState(rule, measured);
        if (state !== null && state !== rule.state) {
          const ids = await changeState(db, rule, state, measured.value!, now);
          outbox.add(ids);
          changed += ids.length;
          if (ids.length > 0) log.info(state === "firing" ? "alert_firing" : "alert_resolved", { tenant_id: rule.tenantId, alert_id: rule.id, value: measured.value });
        } else {
          noted.push(db.update(alertRules).set({ value: measured.value, evaluatedAt: now }).where(eq(alertRules.id, rule.id)));
        }
      } catch (error) {
        log.error("alert_evaluation_failed", { alert_id: rule.id, error: String(error) });
      }
    }
    if (noted.length > 0) await db.batch(noted as [(typeof noted)[number], ...typeof noted]);
    if (rules.length < PAGE) return changed;
  }
}
