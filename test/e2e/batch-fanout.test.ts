import { describe, expect, it } from "vitest";
import { call, createTenant, okJson, liveKeyFor } from "../helpers/api";
import { approvedTemplate } from "../helpers/catalog";
import { createBatch, waitForBatch } from "../helpers/batches";
import { setLimits } from "../helpers/meter";
import { number } from "../helpers/seed";

const CONTACTS = 50_000;

// A group of 50,000 contacts → one request → expansion in the batch queue, 1,000 a job → send queue →
// simulator → receipts → every message delivered, all through the real local queues.
describe("a 50,000-contact group end to end", () => {
  it("fans out asynchronously and delivers every message", { timeout: 600_000 }, async () => {
    const { key, tenantId } = await createTenant();
    await setLimits(tenantId, { messages_per_second: 10_000, message_burst: 10_000, daily_quota: 1_000_000 });
    const group = await okJson(await call("/v1/groups", { method: "POST", key, json: { name: "Everyone" } }), 201);
    // number() makes 6,400 distinct numbers per line-digit ending; none of these is a simulator failure ending.
    const rows = Array.from({ length: CONTACTS }, (_, i) => `${number(String(5550 + Math.floor(i / 6_400)))},C${i}`);
    const report = await okJson(
      await call(`/v1/contacts/import?group_id=${group.id}`, { method: "POST", key: await liveKeyFor(key), headers: { "content-type": "text/csv" }, body: `phone,first_name\n${rows.join("\n")}` }),
      200,
    );
    expect(report).toMatchObject({ imported: CONTACTS, invalid: 0 });
    const template = await approvedTemplate(key, { name: "Hello", type: "notification", body: "Hi {{first_name}}, your plan renews soon." });

    const started = Date.now();
    const batch = await createBatch(key, { name: "Renewals", type: "notification", template_id: template.id, group_id: group.id });
    expect(batch).toMatchObject({ status: "expanding", total: null, accepted: 0, rejected: 0 });

    const done = await waitForBatch(key, batch.id, (b) => b.counts.delivered === CONTACTS && b.status === "completed", {
      timeout: 540_000,
      // Counting 50,000 messages is work for the same database the pipeline writes to: look now and then.
      interval: 2_000,
    });
    expect(done).toMatchObject({ total: CONTACTS, accepted: CONTACTS, rejected: 0, delivery_rate: 1 });
    console.log(`50,000-contact group delivered in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const sample = await okJson(await call(`/v1/batches/${batch.id}/messages?limit=1`, { key }), 200);
    expect(sample.data[0].body).toMatch(/^Hi C\d+, your plan renews soon\.$/);
  });
});
