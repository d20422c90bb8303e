import { describe, expect, it } from "vitest";
import { QUEUES } from "../../src/queues";
import { createTenant, getMessage } from "../helpers/api";
import { drive, sendJob } from "../helpers/queues";
import { deliver } from "../../src/services/delivery";
import { control, dbOf, insertQueuedMessage, number, shardOf, simulatorSubmissionsTo, waitForStatus } from "../helpers/seed";

describe("send consumer", () => {
  it("submits a redelivered job only once, even when both copies run at the same time", async () => {
    const { key, tenantId } = await createTenant();
    const to = number("5555");
    const row = await insertQueuedMessage(tenantId, to);

    const results = await Promise.all([drive(QUEUES.send, [sendJob(row.id)]), drive(QUEUES.send, [sendJob(row.id)])]);
    for (const result of results) expect(result.explicitAcks).toHaveLength(1);

    const message = await waitForStatus(key, row.id, "delivered");
    expect(await simulatorSubmissionsTo(to)).toHaveLength(1);
    expect(message.events.map((e: { status: string }) => e.status)).toEqual(["queued", "sending", "sent", "delivered"]);

    // A third delivery long after the fact changes nothing either.
    await drive(QUEUES.send, [sendJob(row.id)]);
    expect(await simulatorSubmissionsTo(to)).toHaveLength(1);
  });

  it("retries a transient carrier error with 5, 10, 20, 40 s of backoff, then fails the message", async () => {
    const { key, tenantId } = await createTenant();
    const row = await insertQueuedMessage(tenantId, number("0003"));

    const delays: (number | undefined)[] = [];
    for (let attempt = 1; attempt <= 4; attempt++) {
      const result = await drive(QUEUES.send, [sendJob(row.id)]);
      expect(result.explicitAcks).toEqual([]);
      expect(result.retryMessages).toHaveLength(1);
      delays.push(...result.retryDelays);
      const waiting = await getMessage(key, row.id);
      expect(waiting.status).toBe("queued");
      expect(waiting.error.code).toBe("carrier_unavailable");
    }
    expect(delays).toEqual([5, 10, 20, 40]);

    const last = await drive(QUEUES.send, [sendJob(row.id)]);
    expect(last.explicitAcks).toHaveLength(1);
    expect(last.retryMessages).toEqual([]);
    const failed = await getMessage(key, row.id);
    expect(failed.status).toBe("failed");
    expect(failed.error.code).toBe("carrier_unavailable");
    expect(failed.error.message).toMatch(/gave up after 5 attempts/);
    expect(failed.events.filter((e: { status: string }) => e.status === "sending")).toHaveLength(5);
  });

  it("fails a permanent carrier error at once and acks the job", async () => {
    const { key, tenantId } = await createTenant();
    const row = await insertQueuedMessage(tenantId, number("0002"));
    const result = await drive(QUEUES.send, [sendJob(row.id)]);
    expect(result.explicitAcks).toHaveLength(1);
    expect(result.retryMessages).toEqual([]);
    expect((await getMessage(key, row.id)).status).toBe("failed");
  });

  it("fails a message whose route names only a carrier with no adapter, without retrying", async () => {
    const { key, tenantId } = await createTenant();
    const row = await insertQueuedMessage(tenantId, number("5555"));
    // A route left naming a carrier this deploy has no adapter (or no credentials) for.
    const plan = { shard: await shardOf(tenantId), control, order: () => ["nowhere"], adapter: () => null, openBody: async (m: { body: string }) => m.body };
    expect(await deliver(await dbOf(tenantId), row.id, plan)).toMatchObject({ kind: "failed" });
    const message = await getMessage(key, row.id);
    expect(message.status).toBe("failed");
    expect(message.error.code).toBe("no_route");
  });

  it("acks a job it cannot parse instead of retrying it forever", async () => {
    const result = await drive(QUEUES.send, [{ kind: "mystery" }]);
    expect(result.explicitAcks).toHaveLength(1);
    expect(result.retryMessages).toEqual([]);
  });

  it("fails a message whose job reached the dead-letter queue, once", async () => {
    const { key, tenantId } = await createTenant();
    const row = await insertQueuedMessage(tenantId, number("5555"));
    await drive(QUEUES.sendDeadLetter, [sendJob(row.id)]);
    await drive(QUEUES.sendDeadLetter, [sendJob(row.id)]);
    const message = await getMessage(key, row.id);
    expect(message.status).toBe("failed");
    expect(message.error.code).toBe("dead_lettered");
    expect(message.events.map((e: { status: string }) => e.status)).toEqual(["queued", "failed"]);
  });

  it("leaves a message alone when its dead-lettered job arrives after it was submitted", async () => {
    const { key, tenantId } = await createTenant();
    const row = await insertQueuedMessage(tenantId, number("5555"));
    await drive(QUEUES.send, [sendJob(row.id)]);
    // Right after submit the message is `sent`: it may be on a handset already, so it is not failed.
    expect((await getMessage(key, row.id)).status).toBe("sent");
    await drive(QUEUES.sendDeadLetter, [sendJob(row.id)]);
    expect((await getMessage(key, row.id)).status).toBe("sent");
    await waitForStatus(key, row.id, "delivered");
    await drive(QUEUES.sendDeadLetter, [sendJob(row.id)]);
    expect((await getMessage(key, row.id)).status).toBe("delivered");
  });
});
