import { eq, sql, type SQL } from "drizzle-orm";
import type { Db } from "../db/client";
import { tenants } from "../db/schema";
import { runBatch } from "../db/statements";
import { FINAL_STATUSES } from "../domain/message-status";
import { firstIdAt, ID_PREFIXES } from "../lib/ids";
import { chunks as splitInto } from "../lib/chunks";
import { log } from "../lib/log";
import { deleteEvents, eventsOf, messageDeletion } from "../services/deletion";

/** Messages deleted per chunk: one read and one D1 batch of deletes (about ten rows hang on each message). */
export const PURGE_CHUNK = 500;
/** Chunks per shard per cron run: a backlog drains over several minutes, never in one long invocation. */
export const PURGE_CHUNKS_PER_RUN = 8;
/** Tenants a chunk's read covers: their cutoffs travel as one JSON parameter, which stays small. */
const TENANTS_PER_READ = 500;

const DAY_MS = 86_400_000;


interface TenantCutoff {
  id: string;
  /** Things last changed before this are past retention. */
  cutoff: number;
  /** Message ids below this were made before the cutoff. */
  messagesBefore: string;
  inboundBefore: string;
}

/** The shard's tenants with their retention cutoffs, from the control database. */
async function cutoffs(control: Db, shard: string, now: number): Promise<TenantCutoff[]> {
  const rows = await control.select({ id: tenants.id, days: tenants.retentionDays }).from(tenants).where(eq(tenants.shard, shard));
  return rows.map(({ id, days }) => {
    const cutoff = now - days * DAY_MS;
    return { id, cutoff, messagesBefore: firstIdAt(ID_PREFIXES.message, cutoff), inboundBefore: firstIdAt(ID_PREFIXES.inbound, cutoff) };
  });
}

const finalStatuses = sql.raw(FINAL_STATUSES.map((status) => `'${status}'`).join(", "));

/** Up to PURGE_CHUNK final messages past their tenant's retention, by the (tenant_id, mode, id) index. */
function expiredMessages(tenantsJson: string) {
  return sql`SELECT m.id FROM json_each(${tenantsJson}) AS t
    CROSS JOIN messages m ON m.tenant_id = t.value ->> '$.id' AND m.mode IN ('test', 'live') AND m.id < t.value ->> '$.messagesBefore'
    WHERE m.status IN (${finalStatuses}) AND m.updated_at < t.value ->> '$.cutoff'
    LIMIT ${PURGE_CHUNK}`;
}

/** Replies past retention, with their `message.inbound` events. */
function expiredInbound(tenantsJson: string) {
  return sql`SELECT i.id FROM json_each(${tenantsJson}) AS t
    CROSS JOIN inbound_messages i ON i.tenant_id = t.value ->> '$.id' AND i.mode IN ('test', 'live') AND i.id < t.value ->> '$.inboundBefore'
    LIMIT ${PURGE_CHUNK}`;
}

/** Finished batches past retention whose messages are all gone: their recipient lists and rejects go with them. */
function expiredBatches(tenantsJson: string) {
  return sql`SELECT b.id FROM json_each(${tenantsJson}) AS t
    CROSS JOIN batches b ON b.tenant_id = t.value ->> '$.id' AND b.mode IN ('test', 'live')
    WHERE b.status IN ('completed', 'canceled') AND b.updated_at < t.value ->> '$.cutoff'
      AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.batch_id = b.id)
    LIMIT 50`;
}

/** Alert events (`alert:<rule>:<version>`, by the unique source index) past their tenant's retention. */
function expiredAlertEvents(tenantsJson: string) {
  return sql`SELECT e.id FROM events e JOIN json_each(${tenantsJson}) AS t ON e.tenant_id = t.value ->> '$.id'
    WHERE e.source >= 'alert:' AND e.source < 'alert;' AND e.created_at < t.value ->> '$.cutoff'
    LIMIT ${PURGE_CHUNK}`;
}

/** One chunk: what is past retention (one read), then everything hung on it deleted in one D1 batch (one transaction). */
async function purgeChunk(db: Db, tenantsJson: string): Promise<{ messages: number; inbound: number; batches: number }> {
  const [messageRows, inboundRows, batchRows, alertRows] = (await runBatch(db, [
    expiredMessages(tenantsJson),
    expiredInbound(tenantsJson),
    expiredBatches(tenantsJson),
    expiredAlertEvents(tenantsJson),
  ])) as { id: string }[][];
  const messageIds = JSON.stringify(messageRows!.map((row) => row.id));
  const inboundIds = JSON.stringify(inboundRows!.map((row) => row.id));
  const batchIds = JSON.stringify(batchRows!.map((row) => row.id));
  const alertIds = JSON.stringify(alertRows!.map((row) => row.id));
  if (messageRows!.length + inboundRows!.length + batchRows!.length + alertRows!.length === 0) return { messages: 0, inbound: 0, batches: 0 };
  const ids = (json: string) => sql`SELECT value FROM json_each(${json})`;
  await runBatch(db, [
    ...messageDeletion(messageIds),
    ...deleteEvents(eventsOf(inboundIds, "inbound:")),
    sql`DELETE FROM inbound_messages WHERE id IN (${ids(inboundIds)})`,
    ...deleteEvents(eventsOf(batchIds, "batch:")),
    sql`DELETE FROM batch_items WHERE batch_id IN (${ids(batchIds)})`,
    sql`DELETE FROM batch_rejects WHERE batch_id IN (${ids(batchIds)})`,
    sql`DELETE FROM batches WHERE id IN (${ids(batchIds)})`,
    ...deleteEvents(sql`SELECT value FROM json_each(${alertIds})`),
  ]);
  return { messages: messageRows!.length, inbound: inboundRows!.length, batches: batchRows!.length };
}

/**
 * Retention, for one shard: deletes final messages whose last change is older than their tenant's
 * retention (with their events, parts, receipts, webhook deliveries and tries), replies and finished
 * batches likewise, PURGE_CHUNK at a time and at most PURGE_CHUNKS_PER_RUN chunks a run. The stats
 * rollup keeps its counts (no trigger takes a deleted message out). Returns the messages deleted.
 */
export async function purgeExpired(db: Db, control: Db, shard: string, now: number, chunks = PURGE_CHUNKS_PER_RUN): Promise<number> {
  const tenantCutoffs = await cutoffs(control, shard, now);
  if (tenantCutoffs.length === 0) return 0;
  // The shard's tenants TENANTS_PER_READ at a time, starting each minute at another group, so one tenant's
  // backlog cannot keep the chunks of a run from the others for good.
  const groups = splitInto(tenantCutoffs, TENANTS_PER_READ);
  const first = Math.floor(now / 60_000) % groups.length;
  const total = { messages: 0, inbound: 0, batches: 0 };
  let left = chunks;
  for (let g = 0; g < groups.length && left > 0; g += 1) {
    const tenantsJson = JSON.stringify(groups[(first + g) % groups.length]);
    while (left > 0) {
      left -= 1;
      const done = await purgeChunk(db, tenantsJson);
      total.messages += done.messages;
      total.inbound += done.inbound;
      total.batches += done.batches;
      if (done.messages < PURGE_CHUNK && done.inbound < PURGE_CHUNK && done.batches < 50) break;
    }
  }
  if (total.messages + total.inbound + total.batches > 0) log.info("retention_purged", { shard, ...total });
  return total.messages;
}

/** How long data no tenant owns is kept: receipts that matched no message, replies to numbers no tenant has, the simulator's log. */
export const PLATFORM_RETENTION_DAYS = 30;

/**
 * Retention of what no tenant owns, by age: on every shard, carrier receipts held or ignored because they matched
 * no message; on the control database, replies to numbers no tenant has and the simulator's log. Bounded a run.
 */
export async function purgePlatformData(db: Db, control: Db | null, now: number): Promise<number> {
  const cutoff = now - PLATFORM_RETENTION_DAYS * DAY_MS;
  const statements = [
    sql`DELETE FROM carrier_receipts WHERE rowid IN (
        SELECT rowid FROM carrier_receipts WHERE message_id IS NULL AND received_at < ${cutoff} LIMIT ${PURGE_CHUNK}) RETURNING id`,
  ];
  const controlStatements = control
    ? [
        sql`DELETE FROM inbound_messages WHERE id IN (
            SELECT id FROM inbound_messages WHERE tenant_id IS NULL AND mode IN ('test', 'live') AND id < ${firstIdAt(ID_PREFIXES.inbound, cutoff)} LIMIT ${PURGE_CHUNK}) RETURNING id`,
        sql`DELETE FROM simulator_submissions WHERE id IN (
            SELECT id FROM simulator_submissions WHERE created_at < ${cutoff} LIMIT ${PURGE_CHUNK}) RETURNING id`,
      ]
    : [];
  const results = [...(await runBatch(db, statements)), ...(control ? await runBatch(control, controlStatements) : [])];
  const purged = results.reduce((sum, rows) => sum + rows.length, 0);
  if (purged > 0) log.info("platform_data_purged", { count: purged });
  return purged;
}
