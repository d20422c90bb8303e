// A send consumer killed mid-batch: what it handed to a carrier stays the carrier's, and every message it had
// claimed but not handed over is claimed again and sent exactly once, never taken for sent.
import { env } from "cloudflare:workers";
import { http, HttpResponse } from "msw";
import { afterEach, describe, expect, it } from "vitest";
import { RECONCILE_SENDING_AFTER_MS, reconcileSending } from "../../src/cron/reconcile-sending";
import { clearFaults, injectFault, pendingFaults } from "../../src/lib/faults";
import { QUEUES } from "../../src/queues";
import { SUBMITS_PER_CARRIER } from "../../src/services/delivery";
import { createTenant, getMessage } from "../helpers/api";
import { putRoute, TWILIO_MESSAGES, ukNumber } from "../helpers/carriers";
import { mockNetwork } from "../helpers/network";
import { drive } from "../helpers/queues";
import { control, dbOf, insertQueuedMessage } from "../helpers/seed";

const network = mockNetwork();
afterEach(() => clearFaults());

describe("a send consumer killed between waves", () => {
  it("leaves the unhanded messages to be claimed again and sent once; none is reconciled as sent", async () => {
    await putRoute("GB", [{ carrier: "twilio" }]);
    const { key, tenantId } = await createTenant("live");
    const submitted: string[] = [];
    network.use(
      http.post(TWILIO_MESSAGES, async ({ request }) => {
        const to = new URLSearchParams(await request.text()).get("To")!;
        submitted.push(to);
        return HttpResponse.json({ sid: `SM${submitted.length.toString().padStart(32, "0")}`, status: "queued" }, { status: 201 });
      }),
    );
    const total = SUBMITS_PER_CARRIER * 2 + 5;
    const rows = [];
    for (let i = 0; i < total; i += 1) rows.push(await insertQueuedMessage(tenantId, ukNumber(), Date.now(), "simulator", { mode: "live", country: "GB", from: "Acme" }));
    const job = { kind: "sends", message_ids: rows.map((row) => row.id) };

    // The first wave goes to Twilio; the consumer dies before handing over the second.
    injectFault("handoff", "before", 1, 1);
    const killed = await drive(QUEUES.send, [job]);
    expect(pendingFaults()).toEqual([]);
    expect(killed.retryMessages).toHaveLength(1);
    expect(submitted).toHaveLength(SUBMITS_PER_CARRIER);

    // The reconciler, even once every claim is past its threshold, takes none of the unhanded ones for sent.
    const db = await dbOf(tenantId);
    const requeued: string[] = [];
    const queue = { sendBatch: async (jobs: { body: { message_ids: string[] } }[]) => void requeued.push(...jobs.flatMap((j) => j.body.message_ids)) } as unknown as Queue;
    await reconcileSending({ ...env, SEND_QUEUE: queue }, db, control, Date.now() + RECONCILE_SENDING_AFTER_MS + 60_000);
    const afterReconcile = await Promise.all(rows.map((row) => getMessage(key, row.id)));
    const handed = new Set(submitted);
    for (const message of afterReconcile) {
      if (handed.has(message.to)) expect(message.status).not.toBe("queued");
      else expect(message.status).toBe("queued");
    }
    expect(requeued.sort()).toEqual(rows.filter((row) => !handed.has(row.to)).map((row) => row.id).sort());

    // Redelivered, as the queue would: the rest are claimed again and each is submitted exactly once.
    await drive(QUEUES.send, [job]);
    expect(submitted.sort()).toEqual(rows.map((row) => row.to).sort());
    const final = await Promise.all(rows.map((row) => getMessage(key, row.id)));
    expect(final.filter((m) => m.status === "sent")).toHaveLength(total);
  });
});
