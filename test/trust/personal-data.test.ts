// The personal-data inventory: a unique number, bodies and template parameters are planted through every write
// path, then every table of every D1 database and the tenant's meter storage is read, cell by cell:
// - no body or parameter is in clear anywhere, and no API answer carries a sealed value;
// - after erasure (the tenant's with a live key, then the operator's), no cell holds the number in any format;
// - after retention, nothing older than its period is left but configuration.
// The reads are generic (every table sqlite_master lists), so a new table that stores such data fails here
// until it is sealed, erased and purged like the rest.
import { createExecutionContext, createScheduledController, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { http, HttpResponse } from "msw";
import { describe, expect, it, vi } from "vitest";
import { templateCode } from "../../src/domain/compat/alibaba";
import { everyShard } from "../../src/db/shards";
import worker from "../../src/index";
import type { TenantMeter } from "../../src/meter/tenant-meter";
import { PLATFORM_RETENTION_DAYS } from "../../src/cron/retention";
import { alibaba } from "../helpers/alibaba";
import { ADMIN, call, okJson } from "../helpers/api";
import { approvedTemplate } from "../helpers/catalog";
import { postTwilio, postVonage, putRoute, TWILIO_MESSAGES } from "../helpers/carriers";
import { fundedLiveTenant, meterOf, setLimits, setMeterClock } from "../helpers/meter";
import { mockNetwork } from "../helpers/network";
import { postSigned } from "../helpers/receipts";
import { d1Of } from "../helpers/seed";

const network = mockNetwork();
const DAY = 86_400_000;

/** A number no other test file uses (the 555-01xx range of an area code the helpers never pick). */
const HANDSET = "+13125550147";
const OWN = "+13125550148";
const UNOWNED = "+13125550149";
/** The forms a number may be written in: E.164, without its +, and national. */
const FORMS = [HANDSET, HANDSET.slice(1), HANDSET.slice(2)];
const MARK = `pd${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
/** One-time codes (4–10 digits), as unlikely as the mark to occur by chance. */
const CODES = [0, 1].map(() => String(Math.floor(1e9 + Math.random() * 8.999e9)));

type Cell = { where: string; value: string };

/** Every cell of every table of every D1 database, and of the tenant's meter. */
async function everyCell(tenantId: string): Promise<Cell[]> {
  const cells: Cell[] = [];
  const databases: [string, D1Database][] = [...new Set(everyShard(env).map((scope) => scope.shard))].map((name) => [name, (env as unknown as Record<string, D1Database>)[name]!]);
  for (const [name, d1] of databases) {
    const { results: tables } = await d1.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'`).all<{ name: string }>();
    for (const { name: table } of tables) {
      const { results } = await d1.prepare(`SELECT * FROM "${table}"`).all<Record<string, unknown>>();
      for (const row of results) for (const [column, value] of Object.entries(row)) if (value !== null) cells.push({ where: `${name}.${table}.${column}`, value: String(value) });
    }
  }
  const meterCells = await runInDurableObject(meterOf(tenantId), (_: TenantMeter, state) => {
    const found: Cell[] = [];
    const tables = state.storage.sql.exec<{ name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'`).toArray();
    for (const { name: table } of tables) {
      for (const row of state.storage.sql.exec(`SELECT * FROM "${table}"`).toArray()) {
        for (const [column, value] of Object.entries(row)) if (value !== null) found.push({ where: `meter.${table}.${column}`, value: String(value) });
      }
    }
    return found;
  });
  return [...cells, ...meterCells];
}

const holding = (cells: Cell[], needles: string[]) => [...new Set(cells.filter((cell) => needles.some((needle) => cell.value.includes(needle))).map((cell) => cell.where))].sort();

/** Tables whose rows a tenant or the operator keeps as configuration or books: retention does not apply to them. */
const KEPT = new Set([
  "d1_migrations",
  "tenants",
  "api_keys",
  "compat_credentials",
  "templates",
  "senders",
  "content_rules",
  "platform_content_rules",
  "tenant_numbers",
  "contacts",
  "groups",
  "group_members",
  "webhook_endpoints",
  "alert_rules",
  "prices",
  "routes",
  "carrier_health",
  "message_stats",
  "template_versions",
  "meter.settings",
  "meter.buckets",
  "meter.ledger",
  "meter.blocklist",
  "meter.allowlist",
  "meter.credit_keys",
]);

describe("personal data, through every write path", () => {
  it("is sealed at rest, reached by erasure, and purged by retention, in every table and store", { timeout: 60_000 }, async () => {
    const tenant = await fundedLiveTenant(100_000_000);
    const { tenantId, key } = tenant;
    await setLimits(tenantId, { recipient_caps: { otp: { per_minute: null, per_hour: null, per_day: null }, notification: { per_day: null } } });
    const testKey = (await okJson(await call(`/v1/admin/tenants/${tenantId}/keys`, { method: "POST", headers: ADMIN, json: { mode: "test" } }), 201)).key as string;
    await okJson(await call(`/v1/admin/tenants/${tenantId}/numbers`, { method: "POST", headers: ADMIN, json: { number: OWN } }), 201);
    // Live traffic goes to Twilio, which refuses it quoting the number: a carrier error text that names it.
    await putRoute("US", [{ carrier: "twilio" }]);
    network.use(http.post(TWILIO_MESSAGES, () => HttpResponse.json({ code: 21211, message: `The 'To' number ${HANDSET} is not a valid phone number.`, status: 400 }, { status: 400 })));

    // Native sends, live and test, with idempotency keys; a scheduled one that erasure must cancel.
    await okJson(await call("/v1/messages", { method: "POST", key, headers: { "Idempotency-Key": `${MARK}-k1` }, json: { to: HANDSET, body: `${MARK} native` } }), 202);
    await okJson(await call("/v1/messages", { method: "POST", key: testKey, headers: { "Idempotency-Key": `${MARK}-k2` }, json: { to: HANDSET, body: `${MARK} simulator` } }), 202);
    const scheduled = await okJson(await call("/v1/messages", { method: "POST", key, json: { to: HANDSET, body: `${MARK} later`, send_at: new Date(Date.now() + DAY).toISOString() } }), 202);
    // Batches: free text with the number twice (a reject naming it), and a template with per-recipient params.
    await okJson(await call("/v1/batches", { method: "POST", key, json: { type: "notification", body: `${MARK} batch`, recipients: [{ to: HANDSET }, { to: HANDSET }] } }), 202);
    const template = await approvedTemplate(key, { name: "pd", type: "otp", body: "Code {{code}}" });
    await okJson(await call("/v1/batches", { method: "POST", key, json: { type: "otp", template_id: template.id, recipients: [{ to: HANDSET, params: { code: CODES[0]! } }] } }), 202);
    // The compatible APIs.
    const twilioCred = await okJson(await call(`/v1/keys/${tenant.keyId}/credentials`, { method: "POST", key, json: { api: "twilio" } }), 201);
    const twilioSend = await call(`/2010-04-01/Accounts/${twilioCred.id}/Messages.json`, {
      method: "POST",
      headers: { authorization: `Basic ${btoa(`${twilioCred.id}:${twilioCred.secret}`)}`, "content-type": "application/x-www-form-urlencoded", "i-twilio-idempotency-token": `${MARK}-t` },
      body: new URLSearchParams({ To: HANDSET, Body: `${MARK} twilio` }).toString(),
    });
    expect(twilioSend.status).toBe(201);
    const aliCred = await okJson(await call(`/v1/keys/${tenant.keyId}/credentials`, { method: "POST", key, json: { api: "alibaba" } }), 201);
    const sign = await okJson(await call("/v1/senders", { method: "POST", key, json: { value: "阿里云", kind: "signature" } }), 201);
    await okJson(await call(`/v1/admin/senders/${sign.id}/approve`, { method: "POST", headers: ADMIN }), 200);
    const sent = await alibaba(aliCred, "SendSms", { PhoneNumbers: HANDSET, SignName: "阿里云", TemplateCode: templateCode(template.id), TemplateParam: JSON.stringify({ code: CODES[1]! }) });
    expect(sent.body.Code, JSON.stringify(sent.body)).toBe("OK");
    // Replies: through a carrier (live) and the simulator (test) to the tenant's number, and to a number no tenant has.
    await postTwilio("/webhooks/twilio/inbound", { From: HANDSET, To: OWN, Body: `${MARK} reply live`, MessageSid: "SMpdreply1" });
    await okJson(await postSigned("/webhooks/simulator/inbound", { from: HANDSET, to: OWN, text: `${MARK} reply test`, received_at: new Date().toISOString() }), 200);
    await okJson(await postSigned("/webhooks/simulator/inbound", { from: HANDSET, to: UNOWNED, text: `${MARK} reply unowned`, received_at: new Date().toISOString() }), 200);
    // A receipt that matches no message: held, its raw payload naming the handset.
    await postVonage("/webhooks/vonage/status", { msisdn: HANDSET.slice(1), to: "Acme", messageId: "0E00000000PD0001", status: "delivered", "err-code": "0" });

    // Everything settles through the real queues: every message final, the held receipt stored.
    await vi.waitFor(
      async () => {
        const { results } = await (await d1Of(tenantId))
          .prepare(`SELECT status, count(*) AS n FROM messages WHERE tenant_id = ? GROUP BY status`)
          .bind(tenantId)
          .all<{ status: string; n: number }>();
        const pending = results.filter((row) => ["queued", "sending"].includes(row.status));
        expect(pending, JSON.stringify(results)).toEqual([]);
        expect(results.reduce((sum, row) => sum + row.n, 0)).toBeGreaterThanOrEqual(7);
        expect(holding(await everyCell(tenantId), ["0E00000000PD0001"]).some((where) => where.endsWith("carrier_receipts.raw"))).toBe(true);
      },
      { timeout: 30_000, interval: 250 },
    );

    // 1. Sealed at rest: no body or parameter in clear anywhere.
    expect(holding(await everyCell(tenantId), [MARK, ...CODES]).filter((where) => !where.endsWith(".idempotency_key") && !where.endsWith("meter.idempotency.key"))).toEqual([]);
    // ... and no answer carries a sealed value.
    for (const [path, asKey] of [
      ["/v1/messages?limit=100", key],
      ["/v1/messages?limit=100", testKey],
      ["/v1/inbound?limit=100", key],
      ["/v1/inbound?limit=100", testKey],
      ["/v1/events?limit=100", key],
      ["/v1/batches?limit=100", key],
      [`/v1/messages/${scheduled.id}`, key],
    ] as const) {
      const text = await (await call(path, { key: asKey })).text();
      expect(text, path).not.toContain("enc:v1:");
    }

    // 2. Erasure: the tenant's, with its live key (both modes), then the operator's (every tenant, and what no tenant owns).
    for (let i = 0; i < 5; i += 1) if ((await okJson(await call(`/v1/recipients/${encodeURIComponent(HANDSET)}/erase`, { method: "POST", key }), 200)).complete) break;
    let cursor: string | null = null;
    do {
      const page: { complete: boolean; next_cursor: string | null } = await okJson(
        await call(`/v1/admin/recipients/${encodeURIComponent(HANDSET)}/erase${cursor ? `?cursor=${cursor}` : ""}`, { method: "POST", headers: ADMIN }),
        200,
      );
      cursor = page.next_cursor;
    } while (cursor);
    expect(holding(await everyCell(tenantId), FORMS)).toEqual([]);
    // The scheduled message was canceled and refunded, not left to go out to [erased].
    expect(await okJson(await call(`/v1/messages/${scheduled.id}`, { key }), 200)).toMatchObject({ status: "canceled", refunded: true, to: "[erased]" });

    // 3. Retention: a day for this tenant, then every cron job and the meter's alarm past every period.
    await okJson(await call(`/v1/admin/tenants/${tenantId}`, { method: "PATCH", headers: ADMIN, json: { retention_days: 1 } }), 200);
    const later = Date.now() + (PLATFORM_RETENTION_DAYS + 1) * DAY;
    // A message left `sent` expires on the first run and is final from then: its retention runs from that change.
    for (const at of [later, later + 60_000, later + 2 * DAY, later + 2 * DAY + 60_000]) {
      await worker.scheduled(createScheduledController({ cron: "* * * * *", scheduledTime: at }), env, createExecutionContext());
    }
    await setMeterClock(tenantId, later + 2 * DAY);
    await runDurableObjectAlarm(meterOf(tenantId));
    await runInDurableObject(meterOf(tenantId), (meter: TenantMeter) => meter.alarm());
    const left = new Set((await everyCell(tenantId)).map((cell) => cell.where.split(".").slice(-3, -1).join(".").replace(/^(DB|SHARD_\d+)\./, "")));
    expect([...left].filter((table) => !KEPT.has(table)).sort()).toEqual([]);
  });
});
