import { describe, expect, it, vi } from "vitest";
import { injectFault, pendingFaults } from "../../src/lib/faults";
import { ERASE_PASS, ERASE_PASSES, ERASE_TENANTS_PER_REQUEST } from "../../src/services/erasure";
import { ADMIN, call, createTenant, expectProblem, okJson, sendMessage } from "../helpers/api";
import { createBatch, expanded, waitForBatch } from "../helpers/batches";
import { fundedLiveTenant, send } from "../helpers/meter";
import { postSigned } from "../helpers/receipts";
import { d1Of, number, waitForStatus } from "../helpers/seed";

const enc = encodeURIComponent;
const erase = (key: string, numberE164: string) => call(`/v1/recipients/${enc(numberE164)}/erase`, { method: "POST", key });

/**
 * A tenant with a number of its own, and a handset that has texted it and been texted; its key is live, whose
 * erasure reaches both modes and the meter (a test key's reaches test traffic only).
 */
async function tenantWithHistory(handset: string) {
  const tenant = await fundedLiveTenant(1_000_000);
  const own = number("0100");
  await okJson(await call(`/v1/admin/tenants/${tenant.tenantId}/numbers`, { method: "POST", headers: ADMIN, json: { number: own } }), 201);
  const sent = await sendMessage(tenant.key, { to: handset, body: "Your appointment is at 3pm" });
  await waitForStatus(tenant.key, sent.id, "delivered");
  await okJson(await call("/v1/contacts/import", { method: "POST", key: tenant.key, json: [{ phone: handset, name: "Ada" }] }), 200);
  const batch = await createBatch(tenant.key, { type: "notification", body: "Reminder", recipients: [{ to: handset }, { to: number() }] });
  await waitForBatch(tenant.key, batch.id, expanded);
  await okJson(await postSigned("/webhooks/simulator/inbound", { from: handset, to: own, text: "STOP", received_at: new Date().toISOString() }), 200);
  return { ...tenant, own, sent, batch };
}

/** Every place the number could still be written on the tenant's shard. */
async function mentions(tenantId: string, handset: string) {
  const d1 = await d1Of(tenantId);
  const rows = await d1
    .prepare(
      `SELECT (SELECT COUNT(*) FROM messages WHERE tenant_id = ?1 AND "to" = ?2)
        + (SELECT COUNT(*) FROM inbound_messages WHERE tenant_id = ?1 AND "from" = ?2)
        + (SELECT COUNT(*) FROM contacts WHERE tenant_id = ?1 AND phone = ?2)
        + (SELECT COUNT(*) FROM batch_items WHERE "to" = ?2)
        + (SELECT COUNT(*) FROM carrier_receipts WHERE instr(raw, ?2) > 0)
        + (SELECT COUNT(*) FROM events WHERE tenant_id = ?1 AND instr(data, ?2) > 0) AS n`,
    )
    .bind(tenantId, handset)
    .first<{ n: number }>();
  return rows!.n;
}

describe("POST /v1/recipients/{number}/erase", () => {
  it("erases the number from messages, replies, contacts, batches, events and receipts, keeps the opt-out as a hash, and is idempotent", async () => {
    const handset = number();
    const tenant = await tenantWithHistory(handset);
    expect(await mentions(tenant.tenantId, handset)).toBeGreaterThan(0);

    const first = await okJson(await erase(tenant.key, handset), 200);
    expect(first).toMatchObject({
      number: handset,
      complete: true,
      erased: { messages: 2, inbound: 1, contacts: 1, batch_recipients: 1 },
      block_kept_as_hash: true,
    });
    expect(first.erased.events).toBeGreaterThan(0);
    expect(await mentions(tenant.tenantId, handset)).toBe(0);

    // The message is still there for the tenant's books, without the person.
    const message = await okJson(await call(`/v1/messages/${tenant.sent.id}`, { key: tenant.key }), 200);
    expect(message).toMatchObject({ status: "delivered", to: "[erased]", body: "[erased]" });
    // The block list no longer names it, and a send to it is still refused: the opt-out holds.
    const list = await okJson(await call("/v1/blocklist?limit=100", { key: tenant.key }), 200);
    expect(JSON.stringify(list)).not.toContain(handset);
    await expectProblem(await send(tenant.key, { to: handset, body: "again?" }), 422, "recipient_opted_out");

    const again = await okJson(await erase(tenant.key, handset), 200);
    expect(again).toEqual({
      number: handset,
      complete: true,
      erased: { messages: 0, inbound: 0, contacts: 0, batch_recipients: 0, events: 0, receipts: 0 },
      block_kept_as_hash: false,
      allowlist_removed: false,
    });
    await expectProblem(await send(tenant.key, { to: handset, body: "still no" }), 422, "recipient_opted_out");
  });

  it("lets START opt a number back in after its erasure", async () => {
    const handset = number();
    const tenant = await tenantWithHistory(handset);
    await okJson(await erase(tenant.key, handset), 200);
    await okJson(await postSigned("/webhooks/simulator/inbound", { from: handset, to: tenant.own, text: "START", received_at: new Date().toISOString() }), 200);
    const accepted = await okJson(await send(tenant.key, { to: handset, body: "welcome back" }), 202);
    expect(accepted.to).toBe(handset);
  });

  it("touches only the caller's records: another tenant keeps its own", async () => {
    const handset = number();
    const a = await tenantWithHistory(handset);
    const b = await tenantWithHistory(handset);
    await okJson(await erase(a.key, handset), 200);
    expect(await mentions(a.tenantId, handset)).toBe(0);
    expect(await mentions(b.tenantId, handset)).toBeGreaterThan(0);
    expect((await okJson(await call(`/v1/messages/${b.sent.id}`, { key: b.key }), 200)).to).toBe(handset);
  });

  it("erases a number with more records than one request takes over calls: each bounded, the answer says when it is done", async () => {
    const { key, tenantId } = await createTenant();
    const handset = number();
    const total = ERASE_PASS * ERASE_PASSES + 3;
    // Messages to the number, written as batch expansion writes them (the API would cap a day's sends to it).
    await (await d1Of(tenantId))
      .prepare(
        `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
         INSERT INTO messages (id, tenant_id, mode, "to", country, type, body, status, encoding, segments, carrier, attempts, version, created_at, updated_at)
         SELECT printf('msg_00000000%018d', i), ?, 'test', ?, 'US', 'notification', 'x', 'delivered', 'GSM-7', 1, 'simulator', 1, 4, 0, 0 FROM n`,
      )
      .bind(total, tenantId, handset)
      .run();
    const first = await okJson(await erase(key, handset), 200);
    expect(first).toMatchObject({ complete: false, erased: { messages: ERASE_PASS * ERASE_PASSES } });
    const second = await okJson(await erase(key, handset), 200);
    expect(second).toMatchObject({ complete: true, erased: { messages: 3 } });
    expect(await mentions(tenantId, handset)).toBe(0);
  });

  it.each(["before", "after"] as const)("failing %s its D1 pass: a 500, and the retry finishes it, the opt-out kept as a hash", async (timing) => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const handset = number();
    const tenant = await tenantWithHistory(handset);
    const before = await mentions(tenant.tenantId, handset);
    expect(before).toBeGreaterThan(0);
    injectFault("erasure", timing);
    await expectProblem(await erase(tenant.key, handset), 500, "internal_error");
    expect(pendingFaults()).toEqual([]);
    // Before its pass: nothing changed. After it: the records are erased, the meter not yet (its block still names the number).
    expect(await mentions(tenant.tenantId, handset)).toBe(timing === "before" ? before : 0);
    const blocked = await okJson(await call("/v1/blocklist?limit=100", { key: tenant.key }), 200);
    expect(JSON.stringify(blocked)).toContain(handset);
    const retried = await okJson(await erase(tenant.key, handset), 200);
    expect(retried).toMatchObject({ complete: true, block_kept_as_hash: true });
    expect(await mentions(tenant.tenantId, handset)).toBe(0);
    const list = await okJson(await call("/v1/blocklist?limit=100", { key: tenant.key }), 200);
    expect(JSON.stringify(list)).not.toContain(handset);
    await expectProblem(await send(tenant.key, { to: handset, body: "still no" }), 422, "recipient_opted_out");
  });

  it("refuses a number that is not one, changing nothing", async () => {
    const { key } = await createTenant();
    const problem = await expectProblem(await erase(key, "not-a-number"), 422, "invalid_number");
    expect(problem.errors?.[0]?.path).toBe("path.number");
  });
});

describe("POST /v1/admin/recipients/{number}/erase", () => {
  it("erases the number from every tenant on every shard, a page of tenants a request", async () => {
    const handset = number();
    const tenants = [await tenantWithHistory(handset)];
    // More tenants than one request takes, so the walk needs a second page.
    for (let i = 0; i < ERASE_TENANTS_PER_REQUEST; i += 1) await createTenant();
    tenants.push(await tenantWithHistory(handset));
    const walk = async () => {
      const pages = [];
      let cursor: string | null = null;
      do {
        const page: { next_cursor: string | null; tenants: number; complete: boolean; erased: { messages: number; inbound: number; contacts: number }; blocks_kept_as_hash: number } =
          await okJson(await call(`/v1/admin/recipients/${enc(handset)}/erase${cursor ? `?cursor=${cursor}` : ""}`, { method: "POST", headers: ADMIN }), 200);
        pages.push(page);
        cursor = page.next_cursor;
      } while (cursor);
      return pages;
    };
    const pages = await walk();
    expect(pages.length).toBeGreaterThanOrEqual(2);
    expect(pages.every((p) => p.complete)).toBe(true);
    const sum = (f: (p: (typeof pages)[number]) => number) => pages.reduce((n, p) => n + f(p), 0);
    expect({ tenants: sum((p) => p.tenants), messages: sum((p) => p.erased.messages), inbound: sum((p) => p.erased.inbound), contacts: sum((p) => p.erased.contacts), blocks: sum((p) => p.blocks_kept_as_hash) })
      .toEqual({ tenants: 2, messages: 4, inbound: 2, contacts: 2, blocks: 2 });
    for (const tenant of tenants) expect(await mentions(tenant.tenantId, handset)).toBe(0);
    const again = await walk();
    expect(again.reduce((n, p) => n + p.tenants + p.erased.messages, 0)).toBe(0);
    await expectProblem(await call(`/v1/admin/recipients/${enc(handset)}/erase?cursor=not*a*cursor`, { method: "POST", headers: ADMIN }), 422, "validation_failed");
  });

  it("is the operator's only", async () => {
    const { key } = await createTenant();
    await expectProblem(await call(`/v1/admin/recipients/${enc(number())}/erase`, { method: "POST", key }), 401, "unauthorized");
  });
});
