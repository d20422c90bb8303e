import { vi } from "vitest";
import { call, okJson } from "./api";

export function postBatch(key: string, body: unknown) {
  return call("/v1/batches", { method: "POST", key, json: body });
}

export async function createBatch(key: string, body: unknown) {
  return okJson(await postBatch(key, body), 202);
}

export async function getBatch(key: string, id: string) {
  return okJson(await call(`/v1/batches/${id}`, { key }), 200);
}

/** Every message of a batch (optionally of one status), through the paginated API. */
export async function batchMessages(key: string, id: string, status?: string) {
  const all: any[] = [];
  let cursor: string | null = null;
  do {
    const query = new URLSearchParams({ limit: "100", ...(status ? { status } : {}), ...(cursor ? { cursor } : {}) });
    const page: any = await okJson(await call(`/v1/batches/${id}/messages?${query}`, { key }), 200);
    all.push(...page.data);
    cursor = page.next_cursor;
  } while (cursor);
  return all;
}

/** Waits, through the real queues, until the batch satisfies `done`. */
export async function waitForBatch(
  key: string,
  id: string,
  done: (batch: any) => boolean,
  { timeout = 20_000, interval = 100 }: { timeout?: number; interval?: number } = {},
) {
  return vi.waitFor(
    async () => {
      const batch = await getBatch(key, id);
      if (!done(batch)) throw new Error(`batch still ${JSON.stringify({ status: batch.status, accepted: batch.accepted, rejected: batch.rejected, counts: batch.counts })}`);
      return batch;
    },
    { timeout, interval },
  );
}

/** Expansion finished: every recipient is a message or a reject. */
export const expanded = (batch: any) => batch.status !== "expanding" && batch.status !== "scheduled";
