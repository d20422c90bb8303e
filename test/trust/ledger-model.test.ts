// The money invariant, tried on random sequences: sends through every API (native, Twilio, Alibaba, batch), cancels,
// carrier failures, deletes, redactions, erasures, credits and meter alarms, with faults injected between steps.
// After each sequence has settled: the balance equals the ledger's sum, no message is charged or refunded twice, a
// message a carrier took is never refunded, every refund due was made, the alarm never throws, and no admission
// stays unconfirmed past its window.
import { createExecutionContext, createScheduledController, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { templateCode } from "../../src/domain/compat/alibaba";
import { messageSid } from "../../src/domain/compat/twilio";
import worker from "../../src/index";
import { clearFaults, injectFault, type FaultTiming, type LifecycleStep } from "../../src/lib/faults";
import { RECONCILE_AFTER_MS, type TenantMeter } from "../../src/meter/tenant-meter";
import { RECONCILE_SENDING_AFTER_MS } from "../../src/cron/reconcile-sending";
import { alibaba } from "../helpers/alibaba";
import { ADMIN, call, okJson } from "../helpers/api";
import { approvedTemplate } from "../helpers/catalog";
import { credit, fundedLiveTenant, meterOf, setLimits } from "../helpers/meter";
import { d1Of, number } from "../helpers/seed";
import { twilio } from "../helpers/twilio-api";

afterEach(() => clearFaults());

const PRICE = 10_000;
/** The simulator's outcomes by the number's last digits: delivered, undelivered, rejected (refunded), unavailable (retried). */
const SUFFIXES = ["5555", "0001", "0002", "0003"] as const;
const FAULTS: [LifecycleStep, FaultTiming][] = [
  ["admission", "after"],
  ["outbox_write", "before"],
  ["outbox_write", "after"],
  ["claim", "after"],
  ["handoff", "after"],
  ["record_sent", "before"],
  ["refund", "before"],
];

type Op =
  | { kind: "send"; suffix: (typeof SUFFIXES)[number]; later: boolean; fault: [LifecycleStep, FaultTiming] | null }
  | { kind: "twilio"; suffix: (typeof SUFFIXES)[number] }
  | { kind: "alibaba"; suffix: (typeof SUFFIXES)[number] }
  | { kind: "batch"; suffixes: (typeof SUFFIXES)[number][] }
  | { kind: "cancel" }
  | { kind: "delete" }
  | { kind: "redact" }
  | { kind: "erase" }
  | { kind: "credit"; amount: number }
  | { kind: "alarm" };

// Delivered most often: it is what a delete or an erasure must never turn into a refund.
const suffix = fc.constantFrom("5555", "5555", ...SUFFIXES);
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("send" as const), suffix, later: fc.boolean(), fault: fc.option(fc.constantFrom(...FAULTS), { freq: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("twilio" as const), suffix }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("alibaba" as const), suffix }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("batch" as const), suffixes: fc.array(suffix, { minLength: 1, maxLength: 3 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: "cancel" as const }) },
  { weight: 3, arbitrary: fc.constant({ kind: "delete" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "redact" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "erase" as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("credit" as const), amount: fc.integer({ min: 1, max: 50_000 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: "alarm" as const }) },
);

/** A funded live tenant with both compatible APIs ready (a Twilio credential, an approved Alibaba sign and template). */
async function world() {
  const tenant = await fundedLiveTenant(400_000, { unitPrice: PRICE });
  await setLimits(tenant.tenantId, { recipient_caps: { otp: { per_minute: null, per_hour: null, per_day: null } } });
  const twilio = await okJson(await call(`/v1/keys/${tenant.keyId}/credentials`, { method: "POST", key: tenant.key, json: { api: "twilio" } }), 201);
  const ali = await okJson(await call(`/v1/keys/${tenant.keyId}/credentials`, { method: "POST", key: tenant.key, json: { api: "alibaba" } }), 201);
  const sign = await okJson(await call("/v1/senders", { method: "POST", key: tenant.key, json: { value: "阿里云", kind: "signature" } }), 201);
  await okJson(await call(`/v1/admin/senders/${sign.id}/approve`, { method: "POST", headers: ADMIN }), 200);
  const template = await approvedTemplate(tenant.key, { name: "code", type: "otp", body: "Code {{code}}" });
  return { ...tenant, twilio, ali, template };
}
type World = Awaited<ReturnType<typeof world>>;

const twilioCall = (w: World, method: string, path: string, form?: Record<string, string>) => twilio(w.twilio, method, path, form);

/** What a sequence did that the stored rows no longer show: numbers used, and messages a carrier took that were deleted. */
type Seen = { numbers: string[]; deletedAfterCarrier: string[] };

/** Runs one operation as a client would; a 5xx from an injected fault is retried once, as a client retries. */
async function run(w: World, o: Op, seen: Seen): Promise<void> {
  const to = (s: string) => {
    const n = number(s);
    seen.numbers.push(n);
    return n;
  };
  const messages = async () => (await okJson(await call("/v1/messages?limit=100", { key: w.key }), 200)).data as { id: string; status: string; carrier_message_id: string | null }[];
  switch (o.kind) {
    case "send": {
      const body = { to: to(o.suffix), body: "hello", ...(o.later && { send_at: new Date(Date.now() + 3_600_000).toISOString() }) };
      const headers = { "Idempotency-Key": crypto.randomUUID() };
      if (o.fault) injectFault(...o.fault);
      const first = await call("/v1/messages", { method: "POST", key: w.key, headers, json: body });
      if (first.status >= 500) {
        clearFaults();
        await call("/v1/messages", { method: "POST", key: w.key, headers, json: body });
      }
      return;
    }
    case "twilio":
      await twilioCall(w, "POST", "/Messages.json", { To: to(o.suffix), Body: "hi" });
      return;
    case "alibaba":
      await alibaba(w.ali, "SendSms", { PhoneNumbers: to(o.suffix), SignName: "阿里云", TemplateCode: templateCode(w.template.id), TemplateParam: '{"code":"1234"}' });
      return;
    case "batch":
      await call("/v1/batches", { method: "POST", key: w.key, json: { type: "notification", body: "batch", recipients: o.suffixes.map((s) => ({ to: to(s) })) } });
      return;
    case "cancel": {
      const scheduled = (await messages()).find((m) => m.status === "scheduled");
      if (scheduled) await call(`/v1/messages/${scheduled.id}/cancel`, { method: "POST", key: w.key });
      return;
    }
    case "delete":
    case "redact": {
      // The newest message once it is final (a delivered one, most often): deleting or redacting it inside the
      // meter's reconcile window is what once refunded a delivered message.
      const final = await vi
        .waitFor(
          async () => {
            const final = (await messages()).filter((m) => ["delivered", "undelivered", "failed", "canceled"].includes(m.status));
            const found = final.find((m) => m.carrier_message_id !== null) ?? final[0];
            if (!found) throw new Error("no final message yet");
            return found;
          },
          { timeout: 1_500, interval: 50 },
        )
        .catch(() => null);
      if (!final) return;
      if (o.kind === "delete" && (await twilioCall(w, "DELETE", `/Messages/${messageSid(final.id)}.json`)).status === 204) {
        if (final.carrier_message_id !== null) seen.deletedAfterCarrier.push(final.id);
      }
      else await twilioCall(w, "POST", `/Messages/${messageSid(final.id)}.json`, { Body: "" });
      return;
    }
    case "erase": {
      const n = seen.numbers.at(-1);
      if (n) await call(`/v1/recipients/${encodeURIComponent(n)}/erase`, { method: "POST", key: w.key });
      return;
    }
    case "credit":
      await credit(w.tenantId, o.amount);
      return;
    case "alarm":
      await runDurableObjectAlarm(meterOf(w.tenantId));
      return;
  }
}

/** Lets everything settle: the queues drain, the cron reconciles and sweeps, the meter reconciles. */
async function settle(w: World): Promise<void> {
  const d1 = await d1Of(w.tenantId);
  // Consumers at work finish (a message retried later, such as an unavailable carrier's, may stay queued: the
  // invariants hold for it too).
  const sending = async () =>
    (await d1.prepare(`SELECT count(*) AS n FROM messages WHERE tenant_id = ? AND status = 'sending'`).bind(w.tenantId).first<{ n: number }>())!.n;
  await vi.waitFor(async () => expect(await sending()).toBe(0), { timeout: 3_000, interval: 50 }).catch(() => undefined);
  // What a fault left behind: the cron past the reconcile thresholds (it re-enqueues, reconciles and refunds).
  const later = Date.now() + RECONCILE_SENDING_AFTER_MS + 60_000;
  for (const at of [later, later + 60_000]) await worker.scheduled(createScheduledController({ cron: "* * * * *", scheduledTime: at }), env, createExecutionContext());
  await vi.waitFor(async () => expect(await sending()).toBe(0), { timeout: 3_000, interval: 50 }).catch(() => undefined);
  await worker.scheduled(createScheduledController({ cron: "* * * * *", scheduledTime: later + 180_000 }), env, createExecutionContext());
  // The meter past its reconcile window, then back on the real clock.
  await runInDurableObject(meterOf(w.tenantId), async (meter: TenantMeter) => {
    meter.now = () => Date.now() + RECONCILE_AFTER_MS + 60_000;
    try {
      await meter.alarm();
    } finally {
      meter.now = () => Date.now();
    }
  });
}

async function invariants(w: World, seen: Seen): Promise<void> {
  const meter = await runInDurableObject(meterOf(w.tenantId), (_: TenantMeter, state) => {
    const q = <T>(text: string) => state.storage.sql.exec(text).toArray() as T[];
    return {
      last: q<{ balance: number }>(`SELECT balance FROM ledger ORDER BY seq DESC LIMIT 1`)[0]?.balance ?? 0,
      sum: q<{ s: number }>(`SELECT COALESCE(SUM(amount), 0) AS s FROM ledger`)[0]!.s,
      twice: q<{ kind: string; message_id: string }>(`SELECT kind, message_id FROM ledger WHERE message_id IS NOT NULL GROUP BY kind, message_id HAVING count(*) > 1`),
      orphanRefunds: q<{ message_id: string }>(`SELECT message_id FROM ledger r WHERE kind = 'refund' AND NOT EXISTS (SELECT 1 FROM ledger c WHERE c.kind = 'reserve' AND c.message_id = r.message_id)`),
      refunded: q<{ message_id: string }>(`SELECT message_id FROM ledger WHERE kind = 'refund'`).map((row) => row.message_id),
      reserved: q<{ message_id: string }>(`SELECT message_id FROM ledger WHERE kind = 'reserve'`).map((row) => row.message_id),
      // `settle` ran the alarm past every admission's window: none may still wait for confirmation.
      stale: q<{ message_id: string }>(`SELECT message_id FROM unconfirmed`),
    };
  });
  expect(meter.last, "the balance is the ledger's sum").toBe(meter.sum);
  expect((await okJson(await call("/v1/account", { key: w.key }), 200)).balance).toBe(meter.sum);
  expect(meter.twice, "no message charged or refunded twice").toEqual([]);
  expect(meter.orphanRefunds).toEqual([]);
  expect(meter.stale, "no admission unconfirmed past its window").toEqual([]);
  const { results } = await (await d1Of(w.tenantId))
    .prepare(`SELECT id, status, price, carrier_message_id AS carrierId, refunded_at AS refundedAt FROM messages WHERE tenant_id = ?`)
    .bind(w.tenantId)
    .all<{ id: string; status: string; price: number; carrierId: string | null; refundedAt: number | null }>();
  const refunded = new Set(meter.refunded);
  // A deleted record is still a message a carrier took: deleting it refunds nothing.
  expect(seen.deletedAfterCarrier.filter((id) => refunded.has(id)), "deleted after a carrier took it, then refunded").toEqual([]);
  const reserved = new Set(meter.reserved);
  for (const m of results) {
    if (m.price > 0) expect(reserved.has(m.id), `${m.id} (${m.status}) was charged`).toBe(true);
    // A message a carrier took is never refunded; one failed or canceled before any carrier took it is refunded.
    if (m.carrierId !== null) expect(refunded.has(m.id), `${m.id} (${m.status}, taken by a carrier) refunded`).toBe(false);
    else if (m.price > 0 && ["failed", "canceled"].includes(m.status)) expect(refunded.has(m.id), `${m.id} (${m.status}) refunded`).toBe(true);
  }
}

describe("the ledger model", () => {
  it("holds the balance to the ledger, charging and refunding each message at most once, on random sequences with faults", { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 3, maxLength: 7 }), async (ops) => {
        const w = await world();
        const seen: Seen = { numbers: [], deletedAfterCarrier: [] };
        for (const o of ops) {
          await run(w, o, seen);
          clearFaults();
        }
        await settle(w);
        await invariants(w, seen);
      }),
      { numRuns: 6, endOnFailure: true },
    );
  });
});
