import { describe, expect, it } from "vitest";
import { call, createTenant, expectProblem, okJson } from "../helpers/api";
import { approvedTemplate } from "../helpers/catalog";
import { batchMessages, createBatch, expanded, getBatch, postBatch, waitForBatch } from "../helpers/batches";
import { number } from "../helpers/seed";

describe("POST /v1/batches with a recipient list", () => {
  it("rejects bad recipients by index, sends the rest, and counts them live", async () => {
    const { key } = await createTenant();
    const template = await approvedTemplate(key, { name: "Order", type: "notification", body: "Hi {{name}}, order {{order}} shipped." });
    const good = [number("5555"), number("5555"), number("0001")];
    const answer = await createBatch(key, {
      name: "Shipping",
      type: "notification",
      template_id: template.id,
      recipients: [
        { to: good[0], params: { name: "Ann", order: "A1" } },
        { to: "+1415555", params: { name: "Bo", order: "B2" } },
        { to: good[1], params: { name: "Cy" } },
        { to: good[0], params: { name: "Ann", order: "A1" } },
        { to: good[2], params: { name: "Di", order: "D4" } },
      ],
    });
    expect(answer).toMatchObject({ name: "Shipping", status: "expanding", total: 5, accepted: 0, rejected: 3, template_id: template.id });
    expect(answer.rejects.map((r: any) => [r.index, r.code])).toEqual([
      [1, "invalid_number"],
      [2, "invalid_params"],
      [3, "duplicate_recipient"],
    ]);
    expect(answer.rejects[1].detail).toMatch(/order: missing/);

    const done = await waitForBatch(key, answer.id, (b) => b.status === "completed" && b.counts.delivered + b.counts.undelivered === 2);
    expect(done).toMatchObject({ total: 5, accepted: 2, rejected: 3 });
    expect(done.counts).toMatchObject({ delivered: 1, undelivered: 1, queued: 0, failed: 0, canceled: 0 });
    expect(done.delivery_rate).toBe(0.5);
    const sent = await batchMessages(key, answer.id);
    expect(sent.map((m) => m.to).sort()).toEqual([good[0], good[2]].sort());
    expect(sent.find((m) => m.to === good[0]).body).toBe("Hi Ann, order A1 shipped.");
    expect(sent.every((m) => m.batch_id === answer.id)).toBe(true);
    expect((await batchMessages(key, answer.id, "undelivered")).map((m) => m.to)).toEqual([good[2]]);
  });

  it("refuses the whole batch for request-level problems, with 422 and nothing recorded", async () => {
    const { key } = await createTenant();
    const to = number();
    const cases: [unknown, string][] = [
      [{ type: "notification", body: "hi", recipients: [] }, "body.recipients"],
      [{ type: "notification", body: "hi" }, "body.recipients"],
      [{ type: "notification", body: "hi", recipients: [{ to }], group_id: "grp_x" }, "body.recipients"],
      [{ type: "notification", recipients: [{ to }] }, "body.body"],
      [{ type: "notification", template_id: "tpl_nope", recipients: [{ to }] }, "body.template_id"],
      [{ type: "notification", body: "hi", group_id: "grp_nope" }, "body.group_id"],
      [{ type: "notification", body: "hi", recipients: Array.from({ length: 10_001 }, () => ({ to })) }, "body.recipients"],
      [{ type: "notification", body: "hi", recipients: [{ to }], send_at: "2030-01-01T10:00:00" }, "body.send_at"],
      [{ type: "notification", body: "hi", recipients: [{ to }], send_at: new Date(Date.now() + 10_000).toISOString() }, "body.send_at"],
      [{ type: "notification", body: "hi", recipients: [{ to }], send_at: new Date(Date.now() + 31 * 86_400_000).toISOString() }, "body.send_at"],
    ];
    for (const [body, path] of cases) {
      const problem = await expectProblem(await postBatch(key, body), 422, "validation_failed");
      expect(problem.errors?.map((e) => e.path), JSON.stringify(body).slice(0, 120)).toContain(path);
    }
    const template = await approvedTemplate(key, { name: "Note", type: "notification", body: "Your parcel is on its way" });
    const mismatch = await expectProblem(await postBatch(key, { type: "otp", template_id: template.id, recipients: [{ to }] }), 422, "validation_failed");
    expect(mismatch.errors?.[0]?.path).toBe("body.type");
    expect((await okJson(await call("/v1/batches", { key }), 200)).data).toEqual([]);
  });

  it("takes 10,000 recipients with params in one request, and refuses a body over 5 MiB with 413", async () => {
    const { key } = await createTenant();
    const template = await approvedTemplate(key, { name: "Code", type: "notification", body: "Hello {{name}}" });
    // Two line-digit endings, 5,000 each: number() makes 6,400 distinct numbers per ending.
    const recipients = Array.from({ length: 10_000 }, (_, i) => ({ to: number(i < 5_000 ? "5555" : "6666"), params: { name: "x".repeat(20) } }));
    const big = await createBatch(key, { type: "notification", template_id: template.id, recipients, send_at: new Date(Date.now() + 3_600_000).toISOString() });
    expect(big).toMatchObject({ status: "scheduled", total: 10_000, rejected: 0 });

    const huge = Array.from({ length: 10_000 }, () => ({ to: number(), params: { name: "y".repeat(500), order: "z".repeat(100) } }));
    await expectProblem(await postBatch(key, { type: "notification", template_id: template.id, recipients: huge }), 413, "payload_too_large");
  });

  it("makes one batch for a retried Idempotency-Key, even when the retries race; another body is 422", async () => {
    const { key } = await createTenant();
    const body = { type: "notification", body: "Your order shipped", recipients: [{ to: number() }, { to: number() }] };
    const post = () => call("/v1/batches", { method: "POST", key, json: body, headers: { "Idempotency-Key": "ship-77" } });
    const answers = await Promise.all([post(), post(), post()]);
    const batches = await Promise.all(answers.map((answer) => okJson(answer, 202)));
    expect(new Set(batches.map((b) => b.id)).size).toBe(1);
    expect(answers.filter((a) => a.headers.get("idempotent-replayed") === "true")).toHaveLength(2);
    expect((await okJson(await call("/v1/batches", { key }), 200)).data).toHaveLength(1);

    const other = await call("/v1/batches", { method: "POST", key, json: { ...body, body: "Different" }, headers: { "Idempotency-Key": "ship-77" } });
    await expectProblem(other, 422, "idempotency_mismatch");
    const done = await waitForBatch(key, batches[0].id, expanded);
    expect(done.accepted).toBe(2);
  });

  it("lists batches newest first, by page and by status, and refuses a cursor it did not hand out", async () => {
    const { key } = await createTenant();
    const later = new Date(Date.now() + 3_600_000).toISOString();
    const made = [];
    for (let i = 0; i < 3; i += 1) made.push(await createBatch(key, { name: `b${i}`, type: "notification", body: "hi", recipients: [{ to: number() }], send_at: later }));
    const first = await okJson(await call("/v1/batches?limit=2", { key }), 200);
    expect(first.data.map((b: any) => b.name)).toEqual(["b2", "b1"]);
    const second = await okJson(await call(`/v1/batches?limit=2&cursor=${first.next_cursor}`, { key }), 200);
    expect(second).toMatchObject({ data: [{ name: "b0" }], next_cursor: null });
    await okJson(await call(`/v1/batches/${made[1].id}/cancel`, { method: "POST", key }), 200);
    expect((await okJson(await call("/v1/batches?status=canceled", { key }), 200)).data.map((b: any) => b.id)).toEqual([made[1].id]);
    await expectProblem(await call("/v1/batches?cursor=!!", { key }), 422, "validation_failed");
    await expectProblem(await call(`/v1/batches/${made[0].id}/rejects?cursor=bm90LWEtbnVtYmVy`, { key }), 422, "validation_failed");
  });

  it("keeps batches to their tenant: another tenant's batch is 404, its group unknown", async () => {
    const mine = await createTenant();
    const theirs = await createTenant();
    const batch = await createBatch(theirs.key, { type: "notification", body: "hi", recipients: [{ to: number() }] });
    await expectProblem(await call(`/v1/batches/${batch.id}`, { key: mine.key }), 404, "not_found");
    await expectProblem(await call(`/v1/batches/${batch.id}/messages`, { key: mine.key }), 404, "not_found");
    await expectProblem(await call(`/v1/batches/${batch.id}/rejects`, { key: mine.key }), 404, "not_found");
    await expectProblem(await call(`/v1/batches/${batch.id}/cancel`, { method: "POST", key: mine.key }), 404, "not_found");
    expect((await okJson(await call("/v1/batches", { key: mine.key }), 200)).data).toEqual([]);

    const group = await okJson(await call("/v1/groups", { method: "POST", key: theirs.key, json: { name: "VIP" } }), 201);
    await expectProblem(await postBatch(mine.key, { type: "notification", body: "hi", group_id: group.id }), 422, "validation_failed");
    await waitForBatch(theirs.key, batch.id, expanded);
    expect((await getBatch(theirs.key, batch.id)).accepted).toBe(1);
  });
});
