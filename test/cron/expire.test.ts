import { createExecutionContext, createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { carrierReceipts, messages } from "../../src/db/schema";
import { EXPIRE_AFTER_MS } from "../../src/domain/receipts";
import worker from "../../src/index";
import { getMessage } from "../helpers/api";
import { receiptResult } from "../helpers/receipts";
import { postSmpp, sentVia } from "../helpers/carriers";
import { dbOf, shards } from "../helpers/seed";

const runCron = (at: number) => worker.scheduled(createScheduledController({ cron: "* * * * *", scheduledTime: at }), env, createExecutionContext());

describe("expiry of messages with no final receipt", () => {
  it("expires a message still sent 72 hours after submission, once, and a late receipt still applies", async () => {
    const old = await sentVia("smpp", ["E0001"]);
    const recent = await sentVia("smpp", ["E0002"]);
    const now = Date.now();
    // Submitted a minute short of, and a minute past, 72 hours before this run.
    await (await dbOf(recent.tenantId)).update(messages).set({ submittedAt: now - EXPIRE_AFTER_MS + 60_000 }).where(eq(messages.id, recent.id));
    await (await dbOf(old.tenantId)).update(messages).set({ submittedAt: now - EXPIRE_AFTER_MS - 60_000 }).where(eq(messages.id, old.id));

    await Promise.all([runCron(now), runCron(now)]);
    const expired = await getMessage(old.key, old.id);
    expect(expired.status).toBe("expired");
    expect(expired.events.filter((e: { status: string }) => e.status === "expired")).toEqual([
      expect.objectContaining({ detail: "no final receipt within 72 hours of submission" }),
    ]);
    expect((await getMessage(recent.key, recent.id)).status).toBe("sent");

    await receiptResult(await postSmpp("id:E0001 sub:001 dlvrd:001 submit date:2611291030 done date:2612021031 stat:DELIVRD err:000 text:"), "applied");
    const late = await getMessage(old.key, old.id);
    expect(late.status).toBe("delivered");
    expect(late.events.map((e: { status: string }) => e.status).slice(-2)).toEqual(["expired", "delivered"]);
  });

  it("gives up on a held receipt no submit claimed within 7 days", async () => {
    const now = Date.now();
    await receiptResult(await postSmpp("id:FFFF01 stat:DELIVRD err:000"), "held");
    await runCron(now + 8 * 86_400_000);
    // SMPP's receipt names no shard: it was held on every one, and each gives up on it.
    const rows = (await Promise.all(shards().map((db) => db.select().from(carrierReceipts).where(eq(carrierReceipts.carrierKey, "ffff01"))))).flat();
    expect(rows.map((row) => row.result)).toEqual(shards().map(() => "ignored"));
  });
});
