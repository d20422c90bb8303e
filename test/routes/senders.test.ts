import { describe, expect, it } from "vitest";
import { ADMIN, call, createTenant, expectProblem, okJson, liveKeyFor } from "../helpers/api";
import { approvedSender, createSender, putTenantPolicy, review } from "../helpers/catalog";
import { fundedLiveTenant, send } from "../helpers/meter";
import { number } from "../helpers/seed";

describe("sender IDs", () => {
  it("checks the value for its kind, and refuses a second registration of one sender", async () => {
    const { key } = await createTenant();
    for (const [value, kind] of [["12345", "alphanumeric"], ["AB", "alphanumeric"], ["12", "numeric"], ["【阿里云】", "signature"]]) {
      const problem = await expectProblem(await call("/v1/senders", { method: "POST", key, json: { value, kind } }), 422, "validation_failed");
      expect(problem.errors?.[0]?.path).toBe("body.value");
    }
    const first = await createSender(key, "ACME");
    expect(first).toMatchObject({ kind: "alphanumeric", value: "ACME", status: "pending_review", default: false });
    expect(await expectProblem(await call("/v1/senders", { method: "POST", key, json: { value: "ACME", kind: "alphanumeric" } }), 409, "already_exists")).toMatchObject({
      id: first.id,
    });
  });

  it("lets live keys send only from approved senders; test keys may use one under review", async () => {
    const { tenantId, key: live } = await fundedLiveTenant(1_000_000);
    const test = await okJson(await call(`/v1/admin/tenants/${tenantId}/keys`, { method: "POST", headers: ADMIN, json: { mode: "test" } }), 201);
    const sender = await createSender(live, "ACME");

    await expectProblem(await send(live, { to: number(), body: "hi", from: "ACME" }), 422, "sender_not_approved");
    expect(await okJson(await send(test.key, { to: number(), body: "hi", from: "ACME" }), 202)).toMatchObject({ from: "ACME" });
    await expectProblem(await send(test.key, { to: number(), body: "hi", from: "OTHER" }), 422, "sender_not_approved");

    const queue = await okJson(await call("/v1/admin/senders?status=pending_review&limit=100", { headers: ADMIN }), 200);
    expect(queue.data.find((s: { id: string }) => s.id === sender.id)).toMatchObject({ tenant_id: tenantId });
    expect(await okJson(await review("senders", sender.id, "approve"), 200)).toMatchObject({ status: "approved" });
    await expectProblem(await review("senders", sender.id, "approve"), 409, "review_not_pending");
    expect(await okJson(await send(live, { to: number(), body: "hi", from: "ACME" }), 202)).toMatchObject({ from: "ACME" });
  });

  it("records an operator's rejection; a rejected sender cannot send or be the default", async () => {
    const { key } = await createTenant();
    const sender = await createSender(key, "BANK");
    expect(await okJson(await review("senders", sender.id, "reject", "Impersonates a bank"), 200)).toMatchObject({
      status: "rejected",
      rejection_reasons: ["Impersonates a bank"],
    });
    await expectProblem(await send(key, { to: number(), body: "hi", from: "BANK" }), 422, "sender_not_approved");
    await expectProblem(await call(`/v1/senders/${sender.id}/default`, { method: "POST", key: await liveKeyFor(key) }), 422, "sender_not_approved");
  });

  it("puts a signature in front of the body, where it counts toward segments and price", async () => {
    const { key } = await fundedLiveTenant(1_000_000);
    await approvedSender(key, "阿里云", "signature");
    const body = "验".repeat(66);
    const plain = await okJson(await send(key, { to: number(), body }), 202);
    expect(plain).toMatchObject({ segments: 1, price: 10_000 });
    const signed = await okJson(await send(key, { to: number(), body, from: "【阿里云】" }), 202);
    expect(signed).toMatchObject({ body: `【阿里云】${body}`, from: "阿里云", encoding: "UCS-2", segments: 2, price: 20_000 });
  });

  it("uses the default sender when a message names none, until it is deleted", async () => {
    const { key } = await fundedLiveTenant(1_000_000);
    const sender = await approvedSender(key, "ACME");
    expect(await okJson(await send(key, { to: number(), body: "hi" }), 202)).toMatchObject({ from: null });
    expect(await okJson(await call(`/v1/senders/${sender.id}/default`, { method: "POST", key: await liveKeyFor(key) }), 200)).toMatchObject({ default: true });
    expect((await okJson(await call(`/v1/senders/${sender.id}`, { key }), 200)).default).toBe(true);
    expect(await okJson(await send(key, { to: number(), body: "hi" }), 202)).toMatchObject({ from: "ACME" });

    expect((await call(`/v1/senders/${sender.id}`, { method: "DELETE", key: await liveKeyFor(key) })).status).toBe(204);
    expect(await okJson(await send(key, { to: number(), body: "hi" }), 202)).toMatchObject({ from: null });
    await expectProblem(await send(key, { to: number(), body: "hi", from: "ACME" }), 422, "sender_not_approved");
    expect((await okJson(await call("/v1/senders", { key }), 200)).data).toEqual([]);
  });

  it("rejects a sender with blocked content at once", async () => {
    const { key } = await createTenant();
    await putTenantPolicy(key, { rules: [{ label: "Lottery", kind: "word", value: "lotto" }] });
    const sender = await createSender(key, "LOTTO WIN");
    expect(sender.status).toBe("rejected");
    expect(sender.rejection_reasons[0]).toMatch(/^blocked content: Lottery \(rul_/);
  });

  it("hides another tenant's senders", async () => {
    const owner = await createTenant();
    const other = await createTenant();
    const sender = await createSender(owner.key, "OWNER");
    await expectProblem(await call(`/v1/senders/${sender.id}`, { key: other.key }), 404, "not_found");
    await expectProblem(await call(`/v1/senders/${sender.id}/default`, { method: "POST", key: await liveKeyFor(other.key) }), 404, "not_found");
    await expectProblem(await call(`/v1/senders/${sender.id}`, { method: "DELETE", key: await liveKeyFor(other.key) }), 404, "not_found");
    await expectProblem(await send(other.key, { to: number(), body: "hi", from: "OWNER" }), 422, "sender_not_approved");
    expect((await okJson(await call("/v1/senders?kind=alphanumeric", { key: owner.key }), 200)).data).toHaveLength(1);
  });
});
