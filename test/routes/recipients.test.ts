import { describe, expect, it } from "vitest";
import { ADMIN, call, createTenant, expectProblem, okJson } from "../helpers/api";
import { account, fundedLiveTenant, send, setMeterClock, dryRun } from "../helpers/meter";
import { number } from "../helpers/seed";

const enc = encodeURIComponent;

describe("block list", () => {
  it("stores numbers in E.164, so every way of writing one is the same entry", async () => {
    const { key } = await fundedLiveTenant(1_000_000);
    const first = await call(`/v1/blocklist/${enc("+86 138-0013-8000")}`, { method: "PUT", key, json: { reason: "asked us" } });
    expect(await okJson(first, 201)).toMatchObject({ number: "+8613800138000", source: "api", reason: "asked us" });
    const again = await call(`/v1/blocklist/13800138000?country=CN`, { method: "PUT", key });
    expect(await okJson(again, 200)).toMatchObject({ number: "+8613800138000" });
    const list = await okJson(await call("/v1/blocklist", { key }), 200);
    expect(list).toMatchObject({ data: [{ number: "+8613800138000", source: "api" }], next_cursor: null });

    expect((await call(`/v1/blocklist/${enc("+8613800138000")}`, { method: "DELETE", key })).status).toBe(204);
    await expectProblem(await call(`/v1/blocklist/${enc("+8613800138000")}`, { method: "DELETE", key }), 404, "not_found");
    await expectProblem(await call("/v1/blocklist/12345", { method: "PUT", key }), 422, "invalid_number");
  });

  it("refuses sends to a blocked number with 422, and charges and writes nothing", async () => {
    const { key } = await fundedLiveTenant(100_000);
    const to = number();
    await okJson(await call(`/v1/blocklist/${enc(to)}`, { method: "PUT", key }), 201);
    await expectProblem(await send(key, { to, body: "hi" }), 422, "recipient_blocked");
    const preview = await okJson(await dryRun(key, { to, body: "hi" }), 200);
    expect(preview).toMatchObject({ would_send: false, refusal: { code: "recipient_blocked", status: 422 } });
    expect((await okJson(await call("/v1/messages", { key }), 200)).data).toEqual([]);
    expect((await account(key)).balance).toBe(100_000);
  });

  it("pages through the block list by number and filters it by source", async () => {
    const { key } = await fundedLiveTenant(1_000_000);
    const numbers = [number(), number(), number()].sort();
    for (const n of numbers) await okJson(await call(`/v1/blocklist/${enc(n)}`, { method: "PUT", key }), 201);
    const first = await okJson(await call("/v1/blocklist?limit=2", { key }), 200);
    expect(first.data.map((e: { number: string }) => e.number)).toEqual(numbers.slice(0, 2));
    const second = await okJson(await call(`/v1/blocklist?limit=2&cursor=${first.next_cursor}`, { key }), 200);
    expect(second).toMatchObject({ data: [{ number: numbers[2] }], next_cursor: null });
    expect((await okJson(await call("/v1/blocklist?source=opt_out", { key }), 200)).data).toEqual([]);
  });

  it("imports JSON: numbers or {number, reason}, merging duplicates and reporting invalid rows", async () => {
    const { key } = await fundedLiveTenant(1_000_000);
    const existing = number();
    await okJson(await call(`/v1/blocklist/${enc(existing)}`, { method: "PUT", key }), 201);
    const report = await okJson(
      await call("/v1/blocklist/import?country=CN", {
        method: "POST",
        key,
        json: ["13800138000", "+86 138 0013 8000", { number: existing, reason: "again" }, "12", { number: "not a number" }],
      }),
      200,
    );
    expect(report).toMatchObject({ imported: 1, updated: 1, invalid: 2 });
    expect(report.errors.map((e: { row: number }) => e.row)).toEqual([4, 5]);
    const list = await okJson(await call("/v1/blocklist?source=import", { key }), 200);
    expect(list.data.map((e: { number: string }) => e.number).sort()).toEqual([existing, "+8613800138000"].sort());
  });

  it("imports CSV with a BOM, CRLF, quoted fields and blank lines, numbering rows by line", async () => {
    const { key } = await fundedLiveTenant(1_000_000);
    const csv = '\uFEFFPhone,Reason\r\n+447400123456,"complained, twice"\r\n\r\n"+44 7400 123457",\r\nnope,bad\r\n';
    const report = await okJson(await call("/v1/blocklist/import", { method: "POST", key, headers: { "content-type": "text/csv" }, body: csv }), 200);
    expect(report).toMatchObject({ imported: 2, updated: 0, invalid: 1, errors: [{ row: 5, input: "nope" }] });
    const list = await okJson(await call("/v1/blocklist", { key }), 200);
    expect(list.data).toMatchObject([
      { number: "+447400123456", reason: "complained, twice", source: "import" },
      { number: "+447400123457", reason: null },
    ]);
  });

  it("refuses other content types, unreadable CSV, more than 10,000 numbers and bodies over 10 MiB, importing nothing", async () => {
    const { key } = await fundedLiveTenant(1_000_000);
    const post = (body: string, type: string) => call("/v1/blocklist/import", { method: "POST", key, headers: { "content-type": type }, body });
    await expectProblem(await post("phone\n1", "text/plain"), 415, "unsupported_media_type");
    await expectProblem(await post('phone\n"+447400123456', "text/csv"), 422, "validation_failed");
    const tooMany = JSON.stringify(Array.from({ length: 10_001 }, (_, i) => `+4474001${String(i).padStart(5, "0")}`));
    await expectProblem(await post(tooMany, "application/json"), 422, "validation_failed");
    await expectProblem(await post("x".repeat(10 * 1024 * 1024 + 1), "text/csv"), 413, "payload_too_large");
    expect((await okJson(await call("/v1/blocklist", { key }), 200)).data).toEqual([]);
  });

  it("keeps each tenant's list to itself", async () => {
    const a = await fundedLiveTenant(1_000_000);
    const b = await fundedLiveTenant(1_000_000);
    const to = number();
    await okJson(await call(`/v1/blocklist/${enc(to)}`, { method: "PUT", key: a.key }), 201);
    expect((await okJson(await call("/v1/blocklist", { key: b.key }), 200)).data).toEqual([]);
    await expectProblem(await call(`/v1/blocklist/${enc(to)}`, { method: "DELETE", key: b.key }), 404, "not_found");
    expect((await send(b.key, { to, body: "hi" })).status).toBe(202);
  });
});

describe("sandbox and allow list", () => {
  async function sandboxed() {
    const tenant = await okJson(await call("/v1/admin/tenants", { method: "POST", headers: ADMIN, json: { name: "Trial" } }), 201);
    const live = await okJson(await call(`/v1/admin/tenants/${tenant.id}/keys`, { method: "POST", headers: ADMIN, json: { mode: "live" } }), 201);
    const test = await okJson(await call(`/v1/admin/tenants/${tenant.id}/keys`, { method: "POST", headers: ADMIN, json: { mode: "test" } }), 201);
    await call(`/v1/admin/tenants/${tenant.id}/credit`, { method: "POST", headers: ADMIN, json: { amount: 1_000_000 } });
    return { tenantId: tenant.id as string, live: live.key as string, test: test.key as string };
  }

  it("lets a new tenant's live keys send only to its allow list, until the operator lifts the sandbox", async () => {
    const { tenantId, live, test } = await sandboxed();
    expect((await okJson(await call(`/v1/admin/tenants/${tenantId}`, { headers: ADMIN }), 200)).sandbox).toBe(true);
    const mine = number();
    await okJson(await call(`/v1/allowlist/${enc(mine)}`, { method: "PUT", key: live, json: { note: "my phone" } }), 201);

    expect((await send(live, { to: mine, body: "trial" })).status).toBe(202);
    await expectProblem(await send(live, { to: number(), body: "trial" }), 403, "sandbox_recipient_not_allowed");
    // Test keys never reach a handset, so the sandbox does not hold them back.
    expect((await send(test, { to: number(), body: "trial" })).status).toBe(202);

    await okJson(await call(`/v1/admin/tenants/${tenantId}`, { method: "PATCH", headers: ADMIN, json: { sandbox: false } }), 200);
    expect((await send(live, { to: number(), body: "live now" })).status).toBe(202);
  });

  it("holds at most 10 numbers in the sandbox", async () => {
    const { live } = await sandboxed();
    for (let i = 0; i < 10; i++) await okJson(await call(`/v1/allowlist/${enc(number())}`, { method: "PUT", key: live }), 201);
    await expectProblem(await call(`/v1/allowlist/${enc(number())}`, { method: "PUT", key: live }), 422, "allowlist_full");
    const listed = await okJson(await call("/v1/allowlist?limit=100", { key: live }), 200);
    expect(listed.data).toHaveLength(10);
    expect((await call(`/v1/allowlist/${enc(listed.data[0].number)}`, { method: "DELETE", key: live })).status).toBe(204);
    expect((await call(`/v1/allowlist/${enc(number())}`, { method: "PUT", key: live })).status).toBe(201);
  });

  it("exempts allow-listed numbers from per-recipient caps outside the sandbox", async () => {
    const { tenantId, key } = await fundedLiveTenant(1_000_000);
    await setMeterClock(tenantId, Date.UTC(2030, 5, 1, 12));
    const qa = number();
    const other = number();
    await okJson(await call(`/v1/allowlist/${enc(qa)}`, { method: "PUT", key, json: { note: "QA phone" } }), 201);
    for (let i = 0; i < 3; i++) expect((await send(key, { to: qa, body: `code ${i}`, type: "otp" })).status).toBe(202);
    expect((await send(key, { to: other, body: "code", type: "otp" })).status).toBe(202);
    await expectProblem(await send(key, { to: other, body: "code", type: "otp" }), 429, "recipient_frequency_capped");
  });

  it("keeps each tenant's allow list to itself", async () => {
    const a = await fundedLiveTenant(1_000_000);
    const b = await fundedLiveTenant(1_000_000);
    const to = number();
    await okJson(await call(`/v1/allowlist/${enc(to)}`, { method: "PUT", key: a.key }), 201);
    expect((await okJson(await call("/v1/allowlist", { key: b.key }), 200)).data).toEqual([]);
    await expectProblem(await call(`/v1/allowlist/${enc(to)}`, { method: "DELETE", key: b.key }), 404, "not_found");
  });

  it("keeps a block list entry stronger than the allow list", async () => {
    const { key } = await fundedLiveTenant(1_000_000);
    const to = number();
    await okJson(await call(`/v1/allowlist/${enc(to)}`, { method: "PUT", key }), 201);
    await okJson(await call(`/v1/blocklist/${enc(to)}`, { method: "PUT", key }), 201);
    await expectProblem(await send(key, { to, body: "hi" }), 422, "recipient_blocked");
  });
});
