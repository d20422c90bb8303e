import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { LimitsPatch } from "../../src/domain/limits";
import type { TenantMeter } from "../../src/meter/tenant-meter";
import { vi } from "vitest";
import { ADMIN, call, createTenant, getMessage, okJson } from "./api";

export function meterOf(tenantId: string) {
  return env.METER.getByName(tenantId);
}

/** Stops the tenant's meter clock at `at`: windows, buckets and midnights move only when a test says. */
export async function setMeterClock(tenantId: string, at: number): Promise<void> {
  await runInDurableObject(meterOf(tenantId), (meter: TenantMeter) => {
    meter.now = () => at;
  });
}

export async function setLimits(tenantId: string, limits: LimitsPatch) {
  return okJson(await call(`/v1/admin/tenants/${tenantId}`, { method: "PATCH", headers: ADMIN, json: { limits } }), 200);
}

export async function credit(tenantId: string, amount: number, note?: string) {
  return okJson(await call(`/v1/admin/tenants/${tenantId}/credit`, { method: "POST", headers: ADMIN, json: { amount, note } }), 201);
}

export async function setPrice(country: string, unitPrice: number) {
  return okJson(await call(`/v1/admin/prices/${country}`, { method: "PUT", headers: ADMIN, json: { unit_price: unitPrice } }), 200);
}

/** A live tenant with a US price per segment, a balance, and (optionally) its meter clock stopped. */
export async function fundedLiveTenant(balance: number, options: { unitPrice?: number; clock?: number } = {}) {
  const tenant = await createTenant("live");
  await setPrice("US", options.unitPrice ?? 10_000);
  if (balance > 0) await credit(tenant.tenantId, balance);
  if (options.clock !== undefined) await setMeterClock(tenant.tenantId, options.clock);
  return tenant;
}

export async function ledger(tenantId: string) {
  const entries: any[] = [];
  let cursor: string | null = null;
  do {
    const page: any = await okJson(
      await call(`/v1/admin/tenants/${tenantId}/ledger?limit=100${cursor ? `&cursor=${cursor}` : ""}`, { headers: ADMIN }),
      200,
    );
    entries.push(...page.data);
    cursor = page.next_cursor;
  } while (cursor);
  return entries;
}

export async function account(key: string) {
  return okJson(await call("/v1/account", { key }), 200);
}

/** POST /v1/messages/dry-run: every check of a send, nothing sent. */
export function dryRun(key: string, body: Record<string, unknown>) {
  return call("/v1/messages/dry-run", { method: "POST", key, json: body });
}

export function send(key: string, body: Record<string, unknown>, init: { headers?: Record<string, string>; query?: string } = {}) {
  return call(`/v1/messages${init.query ?? ""}`, { method: "POST", key, json: body, headers: init.headers });
}

/** Waits, through the real queues, until the message has been refunded. */
export async function waitForRefund(key: string, id: string) {
  return vi.waitFor(
    async () => {
      const message = await getMessage(key, id);
      if (!message.refunded) throw new Error(`not refunded yet (${message.status})`);
      return message;
    },
    { timeout: 20_000, interval: 100 },
  );
}
