import type { InboundMessageRow } from "../db/schema";
import { decryptText, encryptTexts, isEncrypted } from "../lib/data-crypto";

/** Replies to a number no tenant has are encrypted under a key of their own. */
const UNOWNED = "_unowned";

/** What the tenant wrote, from rows as D1 stores them (bodies encrypted): for the tenant's own reads. */
export async function openMessages<T extends { tenantId: string; body: string }>(secret: string | undefined, rows: T[]): Promise<T[]> {
  return Promise.all(rows.map(async (row) => ({ ...row, body: await decryptText(secret, row.tenantId, row.body) })));
}

/** Rows of one tenant as D1 stores them: each body encrypted under the tenant's key. */
export async function sealMessages<T extends { body: string }>(secret: string | undefined, tenantId: string, rows: T[]): Promise<T[]> {
  const bodies = await encryptTexts(secret, tenantId, rows.map((row) => row.body));
  return rows.map((row, i) => ({ ...row, body: bodies[i]! }));
}

/** An inbound reply as D1 stores it: its text and the carrier's payload (which holds the text) encrypted. */
export async function sealInbound(secret: string | undefined, row: InboundMessageRow): Promise<InboundMessageRow> {
  const [text, payload] = await encryptTexts(secret, row.tenantId ?? UNOWNED, [row.text, row.payload ?? ""]);
  return { ...row, text: text!, payload: row.payload === null ? null : payload! };
}

/** An inbound reply as it came, from its stored row. */
export async function openInbound(secret: string | undefined, row: InboundMessageRow): Promise<InboundMessageRow> {
  const owner = row.tenantId ?? UNOWNED;
  return {
    ...row,
    text: await decryptText(secret, owner, row.text),
    payload: row.payload === null ? null : await decryptText(secret, owner, row.payload),
  };
}

/**
 * An event's payload as D1 stores it: a reply's text (the one payload that carries what a person wrote) is
 * encrypted; `openEventData` gives it back for the tenant's reads and its webhook deliveries.
 */
export async function sealEventData(secret: string | undefined, tenantId: string, data: Record<string, unknown>): Promise<Record<string, unknown>> {
  if (typeof data.text !== "string") return data;
  const [text] = await encryptTexts(secret, tenantId, [data.text]);
  return { ...data, text };
}

export async function openEventData<T>(secret: string | undefined, tenantId: string, data: T): Promise<T> {
  const text = (data as { text?: unknown } | null)?.text;
  if (typeof text !== "string" || !isEncrypted(text)) return data;
  return { ...data, text: await decryptText(secret, tenantId, text) };
}

/**
 * A batch as D1 stores it: its free-text body and each list recipient's params (JSON) sealed under the tenant's
 * key. `openBatchBody` and `openParams` give them back to the expansion that renders the messages.
 */
export async function sealBatch<B extends { body: string | null }, I extends { params: string | null }>(
  secret: string | undefined,
  tenantId: string,
  row: B,
  items: readonly I[],
): Promise<{ row: B; items: I[] }> {
  const texts = [row.body ?? "", ...items.map((item) => item.params ?? "")];
  const [body, ...params] = await encryptTexts(secret, tenantId, texts);
  return {
    row: { ...row, body: row.body === null ? null : body! },
    items: items.map((item, i) => ({ ...item, params: item.params === null ? null : params[i]! })),
  };
}

export async function openBatchBody<B extends { tenantId: string; body: string | null }>(secret: string | undefined, row: B): Promise<B> {
  return row.body === null ? row : { ...row, body: await decryptText(secret, row.tenantId, row.body) };
}

/** A list recipient's params as the tenant gave them, from the stored (sealed) JSON. */
export async function openParams(secret: string | undefined, tenantId: string, stored: string | null): Promise<Record<string, string> | null> {
  return stored === null ? null : (JSON.parse(await decryptText(secret, tenantId, stored)) as Record<string, string>);
}
