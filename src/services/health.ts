import { sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { listCarrierHealth } from "./carrier-health";
import type { CarrierHealthRow } from "../db/schema";

export interface Backlog {
  /** The oldest message waiting in `queued` for its send job, or null when none waits. */
  oldestQueuedAt: number | null;
  /** The oldest webhook try that is due and not yet made. */
  oldestWebhookDueAt: number | null;
}

/** One D1 read that both proves D1 answers and measures the backlogs (both on indexes). */
/** The oldest backlog over every shard (each read at once). */
export async function readBacklog(databases: readonly Db[], now = Date.now()): Promise<Backlog> {
  const rows = await Promise.all(
    databases.map(async (db) => {
      const [row] = await db.all<{ queued: number | null; webhooks: number | null }>(sql`
        SELECT (SELECT min(updated_at) FROM messages WHERE status = 'queued') AS queued,
          (SELECT min(next_attempt_at) FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= ${now}) AS webhooks`);
      return row;
    }),
  );
  return { oldestQueuedAt: earliest(rows.map((row) => row?.queued ?? null)), oldestWebhookDueAt: earliest(rows.map((row) => row?.webhooks ?? null)) };
}

function earliest(values: readonly (number | null)[]): number | null {
  const known = values.filter((value): value is number => value !== null);
  return known.length > 0 ? Math.min(...known) : null;
}

const oldestOf = (found: readonly (StuckMessage | undefined)[]) =>
  found.filter((m): m is StuckMessage => m !== undefined).sort((a, b) => a.since - b.since)[0] ?? null;

export interface StuckMessage {
  id: string;
  tenantId: string;
  status: string;
  since: number;
}

export interface OperatorHealth {
  carriers: CarrierHealthRow[];
  deadLettered: { last24h: number; last7d: number };
  /** The message longest in each in-flight status: waiting for a job, at a carrier, or for a receipt. */
  oldest: { queued: StuckMessage | null; sending: StuckMessage | null; sent: StuckMessage | null };
}

/**
 * What an operator checks first: breakers (control database), and over every shard, dead letters and the
 * oldest message in each in-flight status.
 */
export async function operatorHealth(control: Db, shards: readonly Db[], now = Date.now()): Promise<OperatorHealth> {
  const [carriers, perShard] = await Promise.all([listCarrierHealth(control), Promise.all(shards.map((db) => shardHealth(db, now)))]);
  return {
    carriers,
    deadLettered: {
      last24h: perShard.reduce((sum, s) => sum + s.dead.day, 0),
      last7d: perShard.reduce((sum, s) => sum + s.dead.week, 0),
    },
    oldest: {
      queued: oldestOf(perShard.map((s) => s.queued)),
      sending: oldestOf(perShard.map((s) => s.sending)),
      sent: oldestOf(perShard.map((s) => s.sent)),
    },
  };
}

async function shardHealth(db: Db, now: number) {
  const oldestIn = (status: "queued" | "sending") =>
    db.all<StuckMessage>(sql`SELECT id, tenant_id AS tenantId, status, updated_at AS since FROM messages WHERE status = ${status} ORDER BY updated_at LIMIT 1`);
  const [queued, sending, sent, dead] = await Promise.all([
    oldestIn("queued"),
    oldestIn("sending"),
    db.all<StuckMessage>(sql`SELECT id, tenant_id AS tenantId, status, submitted_at AS since FROM messages WHERE status = 'sent' ORDER BY submitted_at LIMIT 1`),
    // Failed messages of the last week, on the (status, updated_at) index; dead letters are those the DLQ failed.
    db.all<{ day: number; week: number }>(sql`
      SELECT coalesce(sum(updated_at >= ${now - 86_400_000}), 0) AS day, count(*) AS week FROM messages
      WHERE status = 'failed' AND updated_at >= ${now - 7 * 86_400_000} AND error_code = 'dead_lettered'`),
  ]);
  return { queued: queued[0], sending: sending[0], sent: sent[0], dead: { day: dead[0]?.day ?? 0, week: dead[0]?.week ?? 0 } };
}
