// The receipts dead-letter queue: what it receives is kept sealed for an operator, and replayed on request.
import { describe, expect, it } from "vitest";
import { QUEUES } from "../../src/queues";
import { DEAD_LETTER_RETENTION_DAYS, keepDeadLetters, purgeDeadLetters } from "../../src/services/dead-letters";
import { env } from "cloudflare:workers";
import { receiptRow } from "../../src/services/receipts";
import { ADMIN, call, createTenant, getMessage, okJson } from "../helpers/api";
import { drive } from "../helpers/queues";
import { control, d1Of, insertQueuedMessage, number, waitForStatus } from "../helpers/seed";

describe("the receipts dead-letter queue", () => {
  it("keeps each dead letter sealed, shows it to the operator, and replays it into the receipts queue", async () => {
    const { key, tenantId } = await createTenant();
    const to = number();
    const row = await insertQueuedMessage(tenantId, to, Date.now(), "simulator", { status: "sent", carrierMessageId: "sim_dead_letter_1", parts: 1 });
    await (await d1Of(tenantId))
      .prepare("INSERT INTO message_parts (carrier, carrier_key, message_id, part, status, updated_at) VALUES ('simulator', 'sim_dead_letter_1', ?, 1, 'sent', ?)")
      .bind(row.id, Date.now())
      .run();
    const receipt = receiptRow("simulator", { carrierMessageId: "sim_dead_letter_1", status: "delivered", errorCode: null, carrierStatus: "delivered", carrierTime: null }, JSON.stringify({ to }));
    const result = await drive(QUEUES.receiptsDeadLetter, [{ kind: "receipts", receipts: [receipt] }]);
    expect(result.explicitAcks).toHaveLength(1);

    const kept = await control.$client.prepare("SELECT queue, body FROM dead_letters").all<{ queue: string; body: string }>();
    expect(kept.results).toHaveLength(1);
    expect(kept.results[0]!.body).toMatch(/^enc:v1:/);
    expect(kept.results[0]!.body).not.toContain(to.slice(1));
    const listed = await okJson(await call("/v1/admin/dead-letters", { headers: ADMIN }), 200);
    expect(listed.data).toEqual([{ queue: "sms-receipts-dlq", count: 1, oldest_at: expect.any(String) }]);
    expect((await getMessage(key, row.id)).status).toBe("sent");

    const replayed = await okJson(await call("/v1/admin/dead-letters/replay", { method: "POST", headers: ADMIN, json: { queue: "sms-receipts-dlq" } }), 200);
    expect(replayed).toEqual({ replayed: 1, remaining: 0 });
    await waitForStatus(key, row.id, "delivered");
    expect((await okJson(await call("/v1/admin/dead-letters", { headers: ADMIN }), 200)).data[0].count).toBe(0);
  });

  it("purges a dead letter older than its retention", async () => {
    const now = Date.now();
    await keepDeadLetters(env, control, "sms-receipts-dlq", [{ kind: "receipts", receipts: [] }], now - DEAD_LETTER_RETENTION_DAYS * 86_400_000 - 1000);
    await keepDeadLetters(env, control, "sms-receipts-dlq", [{ kind: "receipts", receipts: [] }], now);
    expect(await purgeDeadLetters(control, now)).toBe(1);
    expect((await control.$client.prepare("SELECT count(*) AS n FROM dead_letters").first<{ n: number }>())?.n).toBe(1);
  });
});
