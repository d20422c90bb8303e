import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { observeD1, type D1Call } from "../../src/db/probe";
import { createTenant, sendMessage } from "../helpers/api";
import { createBatch } from "../helpers/batches";
import { setLimits } from "../helpers/meter";
import { number } from "../helpers/seed";

/** The D1 round trips the gateway makes while `work` runs (each batch, run, all, first or raw on the binding). */
async function counting<T>(work: () => Promise<T>): Promise<{ result: T; calls: D1Call[] }> {
  const calls: D1Call[] = [];
  const stop = observeD1((call) => void calls.push(call));
  try {
    return { result: await work(), calls };
  } finally {
    stop();
  }
}

/** Watches message statuses straight on the binding, outside the gateway, so the watching is not counted. */
async function waitUntilDelivered(where: string, bind: string, expected: number) {
  await vi.waitFor(
    async () => {
      const rows = await Promise.all([env.SHARD_1, env.SHARD_2].map((d1) => d1.prepare(`SELECT count(*) AS n FROM messages WHERE ${where} AND status = 'delivered'`).bind(bind).first<{ n: number }>()));
      const n = rows.reduce((sum, row) => sum + row!.n, 0);
      if (n !== expected) throw new Error(`${n} of ${expected} delivered`);
    },
    { timeout: 60_000, interval: 100 },
  );
}

/** Per kind of statement, for a failure message that says where the round trips went. */
const summary = (calls: D1Call[]) =>
  Object.entries(
    calls.reduce<Record<string, number>>((acc, call) => {
      const key = `${call.method}: ${call.sql.map((s) => s.replace(/\s+/g, " ").slice(0, 60)).join(" | ")}`;
      acc[key] = (acc[key] ?? 0) + 1;
      return acc;
    }, {}),
  )
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${n} × ${k}`)
    .join("\n");

afterEach(() => vi.restoreAllMocks());

describe("D1 round trips", () => {
  it("takes a 1,000-recipient batch from acceptance to every message delivered in at most 0.1 round trips a message", { timeout: 120_000 }, async () => {
    const { key, tenantId } = await createTenant();
    await setLimits(tenantId, { messages_per_second: 10_000, message_burst: 10_000, daily_quota: 1_000_000 });
    const recipients = Array.from({ length: 1_000 }, () => ({ to: number("5555") }));
    const { result: batch, calls } = await counting(async () => {
      const created = await createBatch(key, { type: "notification", body: "Your order shipped.", recipients });
      await waitUntilDelivered("batch_id = ?", created.id, 1_000);
      return created;
    });
    const perMessage = calls.length / 1_000;
    console.log(`1,000-recipient batch ${batch.id}: ${calls.length} D1 round trips (${perMessage.toFixed(3)} a message)\n${summary(calls)}`);
    expect(calls.length, summary(calls)).toBeLessThanOrEqual(100);
  });

  it("takes one message from acceptance to its delivered receipt in a handful of round trips", { timeout: 30_000 }, async () => {
    const { key } = await createTenant();
    // Warm this isolate's caches (key, prices, routes) as a busy gateway's would be.
    await sendMessage(key, { to: number("5555"), body: "warm-up" });
    const { result: message, calls } = await counting(async () => {
      const accepted = await sendMessage(key, { to: number("5555"), body: "Your code is 123456" });
      await waitUntilDelivered("id = ?", accepted.id, 1);
      return accepted;
    });
    console.log(`single send ${message.id}: ${calls.length} D1 round trips\n${summary(calls)}`);
    // Accept (1 write), claim (1), hand-off (1), the simulator's record (1), sent (1), the receipt's look and write (2),
    // and the fan-out of its two status events (1 or 2: they may share a webhook batch).
    expect(calls.length, summary(calls)).toBeLessThanOrEqual(9);
  });
});
