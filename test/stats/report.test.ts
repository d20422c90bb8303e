import { env } from "cloudflare:workers";
import { inArray, sql } from "drizzle-orm";
import type { Db } from "../../src/db/client";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { messages, type MessageRow } from "../../src/db/schema";
import { insertJsonRows } from "../../src/db/json-rows";
import { DAY_MS, HOUR_MS, LATENCY_EDGES_MS, latencyBucket, latencyStart, metricsOf, type RollupCell } from "../../src/domain/stats";
import { newId } from "../../src/lib/ids";
import { transition } from "../../src/services/transitions";
import { ADMIN, call, createTenant, expectProblem, getMessage, okJson, sendMessage } from "../helpers/api";
import { setLimits, setMeterClock } from "../helpers/meter";
import { dbOf, number, shardOf, shards } from "../helpers/seed";

// A generated data set: three tenants in both key modes, every status, several countries, carriers,
// templates and batches, spread over six days, moved through their lifecycles the ways the gateway moves
// them (one transition at a time, bulk cancels, refunds, failover to another carrier, late receipts).
// Every report must equal what a scan of the messages table gives.

function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = random(8);
const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;

const NOW = Date.now();
const BASE = Math.floor(NOW / DAY_MS) * DAY_MS - 6 * DAY_MS;
const COUNTRIES = ["US", "GB", "CN", "IN", null] as const;
const CARRIERS = ["simulator", "twilio", "vonage"] as const;

let tenants: { tenantId: string; key: string }[];

function generated(tenantId: string, mode: "test" | "live", i: number): MessageRow {
  const createdAt = BASE + Math.floor(rand() * 6 * DAY_MS);
  const scheduled = rand() < 0.1;
  return {
    id: newId("message", createdAt),
    tenantId,
    mode,
    to: `+1415555${String(1000 + i).slice(-4)}`,
    country: pick(COUNTRIES),
    from: null,
    type: pick(["otp", "notification", "marketing"] as const),
    body: "generated",
    status: scheduled ? "scheduled" : "queued",
    encoding: "GSM-7",
    segments: 1 + Math.floor(rand() * 3),
    carrier: pick(CARRIERS),
    carrierMessageId: null,
    errorCode: null,
    errorMessage: null,
    reference: null,
    templateId: pick([null, "tpl_a", "tpl_b"]),
    templateVersion: null,
    price: mode === "live" ? 1000 * (1 + Math.floor(rand() * 50)) : 0,
    currency: "USD",
    refundedAt: null,
    attempts: 0,
    sendAt: scheduled ? createdAt + Math.floor(rand() * 3 * HOUR_MS) : null,
    batchId: pick([null, null, "bat_x"]),
    callbackUrl: null,
    callbackFormat: null,
    credentialId: null,
    validUntil: null,
    parts: null,
    partsDelivered: 0,
    submittedAt: null,
    handedAt: null,
    version: 1,
    createdAt,
    updatedAt: createdAt,
  };
}

/** Walks a message through a random lifecycle with the real transition(), at chosen times. */
/** Each tenant's shard (the three tenants are spread over both), filled in once they exist. */
const shardOfTenant = new Map<string, Db>();
const dbOfRow = (row: MessageRow) => shardOfTenant.get(row.tenantId)!;

async function live(row: MessageRow) {
  const at = (ms: number) => latencyStart(row.createdAt, row.sendAt) + ms;
  const roll = rand();
  if (row.status === "scheduled") {
    if (roll < 0.3) return; // still waiting
    await transition(dbOfRow(row), row.id, "queued", { now: at(0) });
  }
  if (roll < 0.4 && rand() < 0.3) return; // left queued
  await transition(dbOfRow(row), row.id, "sending", { now: at(50), countAttempt: true });
  if (rand() < 0.15) {
    // a transient error: back to the queue, then failover to another carrier
    await transition(dbOfRow(row), row.id, "queued", { now: at(100) });
    await transition(dbOfRow(row), row.id, "sending", { now: at(1100), fields: { carrier: pick(CARRIERS) } });
  }
  const outcome = rand();
  if (outcome < 0.1) {
    await transition(dbOfRow(row), row.id, "failed", { now: at(1200), fields: { errorCode: "invalid_number" } });
    return;
  }
  const latency = Math.floor(Math.exp(rand() * Math.log(5 * DAY_MS)));
  await transition(dbOfRow(row), row.id, "sent", { now: at(1300), fields: { carrierMessageId: `c_${row.id}`, submittedAt: at(1300) } });
  if (outcome < 0.2) return; // awaiting its receipt
  if (outcome < 0.3) {
    await transition(dbOfRow(row), row.id, "expired", { now: at(72 * HOUR_MS) });
    if (rand() < 0.5) await transition(dbOfRow(row), row.id, "delivered", { now: at(Math.max(latency, 73 * HOUR_MS)) });
    return;
  }
  await transition(dbOfRow(row), row.id, outcome < 0.4 ? "undelivered" : "delivered", { now: at(latency) });
}

interface Scanned {
  row: MessageRow;
  cell: RollupCell;
}

async function scan(where: (row: MessageRow) => boolean): Promise<Scanned[]> {
  const rows = (await Promise.all(shards().map((db) => db.select().from(messages)))).flat().filter(where);
  return rows.map((row) => ({
    row,
    cell: {
      status: row.status,
      latencyBucket: row.status === "delivered" ? latencyBucket(row.updatedAt - latencyStart(row.createdAt, row.sendAt)) : -1,
      messages: 1,
      segments: row.segments,
      cost: row.refundedAt === null ? row.price : 0,
      sent: row.submittedAt === null ? 0 : 1,
    },
  }));
}

const GROUP_FIELDS = {
  status: (r: MessageRow) => r.status,
  country: (r: MessageRow) => r.country,
  type: (r: MessageRow) => r.type,
  carrier: (r: MessageRow) => r.carrier,
  template: (r: MessageRow) => r.templateId,
  batch: (r: MessageRow) => r.batchId,
  tenant: (r: MessageRow) => r.tenantId,
} as const;

/** A local date, read independently of the gateway's code: the zone's date at the start of the message's UTC hour. */
function localDate(createdAt: number, tz: string): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone: tz, year: "numeric", month: "2-digit", day: "2-digit" }).format(Math.floor(createdAt / HOUR_MS) * HOUR_MS);
}

/** What a report should say, from the scan: per bucket (hour start or local date) and per group. */
function expected(scanned: Scanned[], granularity: "hour" | "day", tz: string, groupBy?: keyof typeof GROUP_FIELDS) {
  const bucketOf = (r: MessageRow) => (granularity === "hour" ? new Date(Math.floor(r.createdAt / HOUR_MS) * HOUR_MS).toISOString() : localDate(r.createdAt, tz));
  const buckets = new Map<string, Scanned[]>();
  for (const s of scanned) buckets.set(bucketOf(s.row), [...(buckets.get(bucketOf(s.row)) ?? []), s]);
  const withGroups = (items: Scanned[]) => {
    const metrics = metricsOf(items.map((s) => s.cell));
    if (!groupBy) return metrics;
    const keys = [...new Set(items.map((s) => GROUP_FIELDS[groupBy](s.row) ?? ""))].sort();
    const groups = keys.map((key) => ({ key: key === "" ? null : key, ...metricsOf(items.filter((s) => (GROUP_FIELDS[groupBy](s.row) ?? "") === key).map((s) => s.cell)) }));
    return { ...metrics, groups };
  };
  return { totals: withGroups(scanned), buckets: new Map([...buckets].map(([key, items]) => [key, withGroups(items)])) };
}

/** Compares a report with the scan: totals, and every bucket (a bucket the scan has no message in is all zeros). */
function expectReportEqualsScan(report: any, scanned: Scanned[], groupBy?: keyof typeof GROUP_FIELDS) {
  const want = expected(scanned, report.granularity, report.tz, groupBy);
  expect(report.totals).toEqual(want.totals);
  const empty = metricsOf([]);
  let covered = 0;
  for (const point of report.series) {
    const key = report.granularity === "hour" ? point.start : point.date;
    const { start, date, ...metrics } = point;
    const bucket = want.buckets.get(key);
    if (bucket) covered += 1;
    expect(metrics, `bucket ${key}`).toEqual(bucket ?? (groupBy ? { ...empty, groups: [] } : empty));
  }
  expect(covered, "every scanned bucket is in the series").toBe(want.buckets.size);
}

const FROM = new Date(BASE - DAY_MS).toISOString();
const TO = new Date(NOW + HOUR_MS).toISOString();

beforeAll(async () => {
  tenants = [await createTenant("test"), await createTenant("live"), await createTenant("test")];
  // A report is charged one request a day it spans: these tests ask for dozens of 8-day reports at once.
  for (const { tenantId } of tenants) await setLimits(tenantId, { requests_per_second: 10_000, request_burst: 10_000 });
  const rows: MessageRow[] = [];
  let i = 0;
  for (const { tenantId } of tenants) for (const mode of ["test", "live"] as const) for (let n = 0; n < 120; n++) rows.push(generated(tenantId, mode, i++));
  // Half written the way batch expansion writes (one JSON bulk insert), half one by one as the API does.
  const [bulk, single] = [rows.slice(0, rows.length / 2), rows.slice(rows.length / 2)];
  for (const { tenantId } of tenants) shardOfTenant.set(tenantId, await dbOf(tenantId));
  expect(new Set(await Promise.all(tenants.map(({ tenantId }) => shardOf(tenantId)))).size).toBe(2);
  for (const [tenantId, db] of shardOfTenant) {
    const own = (list: MessageRow[]) => list.filter((row) => row.tenantId === tenantId);
    for (let at = 0; at < own(bulk).length; at += 50) await db.run(insertJsonRows(messages, own(bulk).slice(at, at + 50)));
    for (let at = 0; at < own(single).length; at += 20) await db.batch(own(single).slice(at, at + 20).map((row) => db.insert(messages).values(row)) as [any]);
  }
  for (const row of rows) await live(row);
  // A bulk cancel (as a canceled batch's step does) and refunds of charged, failed messages, on every shard.
  for (const db of shards()) {
    const waiting = (await db.select().from(messages).where(inArray(messages.status, ["scheduled", "queued"]))).slice(0, 10).map((m) => m.id);
    if (waiting.length > 0) await db.run(sql`UPDATE messages SET status = 'canceled', version = version + 1, updated_at = updated_at + 5 WHERE id IN ${waiting} AND status IN ('scheduled', 'queued')`);
    await db.run(sql`UPDATE messages SET refunded_at = updated_at WHERE status IN ('failed', 'canceled') AND price > 0`);
  }
  // And a few messages through the real API and queues, delivered by the simulator just now.
  const sent = [];
  for (let n = 0; n < 4; n++) sent.push(await sendMessage(tenants[0]!.key, { to: number(), body: "stats" }));
  for (const { id } of sent) await vi.waitFor(async () => expect((await getMessage(tenants[0]!.key, id)).status).toBe("delivered"), { timeout: 10_000 });
}, 120_000);

describe("GET /v1/stats", () => {
  it("equals a scan of the messages, for every grouping, both granularities and several time zones", async () => {
    const { tenantId, key } = tenants[0]!;
    const scanned = await scan((r) => r.tenantId === tenantId && r.mode === "test");
    expect(new Set(scanned.map((s) => s.row.status)).size).toBeGreaterThanOrEqual(8);
    for (const groupBy of [undefined, "status", "country", "type", "carrier", "template", "batch"] as const) {
      for (const [granularity, tz] of [["day", "UTC"], ["hour", "UTC"], ["day", "America/New_York"], ["day", "Asia/Kolkata"]] as const) {
        const query = new URLSearchParams({ from: FROM, to: TO, granularity, tz, ...(groupBy ? { group_by: groupBy } : {}) });
        const report = await okJson(await call(`/v1/stats?${query}`, { key }), 200);
        expectReportEqualsScan(report, scanned, groupBy);
      }
    }
  });

  it("serves each key mode its own traffic, and one tenant none of another's", async () => {
    const query = `from=${FROM}&to=${TO}&group_by=country`;
    const live = await okJson(await call(`/v1/stats?${query}`, { key: tenants[1]!.key }), 200);
    expectReportEqualsScan(live, await scan((r) => r.tenantId === tenants[1]!.tenantId && r.mode === "live"), "country");
    expect(live.totals.cost).toBeGreaterThan(0);
    const other = await okJson(await call(`/v1/stats?${query}`, { key: tenants[2]!.key }), 200);
    expectReportEqualsScan(other, await scan((r) => r.tenantId === tenants[2]!.tenantId && r.mode === "test"), "country");
    expect(other.totals.submitted).toBe(120);
  });

  it("reports latency percentiles as the upper edge of the bucket that holds the exact value", async () => {
    const { tenantId, key } = tenants[0]!;
    const report = await okJson(await call(`/v1/stats?from=${FROM}&to=${TO}`, { key }), 200);
    const latencies = (await scan((r) => r.tenantId === tenantId && r.mode === "test" && r.status === "delivered"))
      .map((s) => s.row.updatedAt - latencyStart(s.row.createdAt, s.row.sendAt))
      .sort((a, b) => a - b);
    for (const [q, field] of [[0.5, "latency_p50_ms"], [0.95, "latency_p95_ms"]] as const) {
      const exact = latencies[Math.ceil(q * latencies.length) - 1]!;
      const edge = report.totals[field];
      const lower = LATENCY_EDGES_MS[LATENCY_EDGES_MS.indexOf(edge) - 1] ?? 0;
      expect(exact).toBeGreaterThan(lower);
      if (edge !== LATENCY_EDGES_MS.at(-1) || exact <= edge) expect(exact).toBeLessThanOrEqual(edge);
    }
  });

  it("counts a message sent through the API once it is delivered", async () => {
    const { key } = tenants[0]!;
    const hour = new Date(Math.floor(Date.now() / HOUR_MS) * HOUR_MS).toISOString();
    const before = await okJson(await call(`/v1/stats?granularity=hour&from=${hour}&to=${TO}`, { key }), 200);
    const message = await sendMessage(key, { to: number(), body: "count me" });
    await vi.waitFor(async () => expect((await getMessage(key, message.id)).status).toBe("delivered"), { timeout: 10_000 });
    const report = await okJson(await call(`/v1/stats?granularity=hour&from=${hour}&to=${TO}`, { key }), 200);
    expect(report.totals.submitted).toBe(before.totals.submitted + 1);
    expect(report.totals.delivered).toBe(before.totals.delivered + 1);
    expect(report.series.reduce((sum: number, point: any) => sum + point.delivered, 0)).toBe(report.totals.delivered);
  });

  it("counts local days across a daylight-saving change", async () => {
    // New York left daylight time at 06:00 UTC on 1 November 2026: that local day has 25 hours.
    const tenant = await createTenant();
    const start = Date.UTC(2026, 9, 30, 12);
    const rows = Array.from({ length: 96 }, (_, i) => ({ ...generated(tenant.tenantId, "test", 5000 + i), createdAt: start + i * HOUR_MS + 1000, updatedAt: start + i * HOUR_MS + 1000 }));
    for (const row of rows) row.id = newId("message", row.createdAt);
    await (await dbOf(tenant.tenantId)).run(insertJsonRows(messages, rows));
    const query = "from=2026-10-30T00:00:00Z&to=2026-11-03T12:00:00Z&granularity=day&tz=America/New_York";
    const report = await okJson(await call(`/v1/stats?${query}`, { key: tenant.key }), 200);
    expectReportEqualsScan(report, await scan((r) => r.tenantId === tenant.tenantId));
    const day = report.series.find((p: any) => p.date === "2026-11-01");
    expect(day).toMatchObject({ start: "2026-11-01T04:00:00.000Z", submitted: 25 });
    expect(report.series.find((p: any) => p.date === "2026-11-02")).toMatchObject({ start: "2026-11-02T05:00:00.000Z", submitted: 24 });
  });

  it("charges a report one API request per day it spans, so long reports are rate limited first", async () => {
    const { tenantId, key } = await createTenant();
    await setLimits(tenantId, { requests_per_second: 1, request_burst: 100 });
    await setMeterClock(tenantId, NOW);
    const ninetyDays = `from=${new Date(NOW - 90 * DAY_MS).toISOString()}&to=${new Date(NOW).toISOString()}`;
    const first = await call(`/v1/stats?${ninetyDays}`, { key });
    expect(first.status).toBe(200);
    expect(first.headers.get("ratelimit")).toContain('"requests";r=10');
    const second = await expectProblem(await call(`/v1/stats?${ninetyDays}`, { key }), 429, "rate_limited");
    expect(second).toMatchObject({ limit: "requests", retry_after: 80 });
    // A day's report (1 request) still fits in what is left.
    expect((await call(`/v1/stats?from=${new Date(NOW - DAY_MS).toISOString()}&to=${new Date(NOW).toISOString()}`, { key })).status).toBe(200);
  });

  it("refuses bad ranges, zones and groupings with located errors", async () => {
    const { key } = tenants[0]!;
    const cases: [string, string][] = [
      ["from=2026-11-20&to=2026-11-10", "query.from"],
      ["from=2026-01-01&to=2026-11-10", "query.to"],
      ["tz=Mars/Olympus", "query.tz"],
      ["group_by=planet", "query.group_by"],
      ["granularity=minute", "query.granularity"],
      ["from=yesterday", "query.from"],
      ["from=2026-02-30", "query.from"],
    ];
    for (const [query, path] of cases) {
      const problem = await expectProblem(await call(`/v1/stats?${query}`, { key }), 422, "validation_failed");
      expect(problem.errors!.map((e) => e.path), query).toContain(path);
    }
    await expectProblem(await call("/v1/stats"), 401, "unauthorized");
  });
});

describe("GET /v1/admin/stats", () => {
  it("equals a scan across tenants, per tenant and per carrier", async () => {
    for (const groupBy of ["tenant", "carrier"] as const) {
      const report = await okJson(await call(`/v1/admin/stats?mode=live&from=${FROM}&to=${TO}&group_by=${groupBy}`, { headers: ADMIN }), 200);
      expectReportEqualsScan(report, await scan((r) => r.mode === "live"), groupBy);
    }
    const one = await okJson(await call(`/v1/admin/stats?mode=test&tenant_id=${tenants[2]!.tenantId}&from=${FROM}&to=${TO}`, { headers: ADMIN }), 200);
    expectReportEqualsScan(one, await scan((r) => r.tenantId === tenants[2]!.tenantId && r.mode === "test"));
  });

  it("is the operator's only", async () => {
    await expectProblem(await call("/v1/admin/stats", { key: tenants[0]!.key }), 401, "unauthorized");
  });
});
