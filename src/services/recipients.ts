import { parsePhone } from "../domain/phone";
import type { BlockSource } from "../domain/admission";
import { ApiError } from "../lib/errors";
import { meterFor } from "../meter/client";
import type { Db } from "../db/client";
import { EventOutbox, recordTenantEvent } from "./events";
import { emptyReport, reportInvalid, type ImportReport } from "./imports";
import type { AllowEntry, BlockEntry } from "../meter/types";

type MeterEnv = Pick<Env, "METER">;

/** The sandbox allows this many recipients. */
export const SANDBOX_ALLOWLIST_MAX = 10;
export const BLOCKLIST_IMPORT_MAX = 10_000;

/** A number as the API takes it (E.164, or national with `country`), in E.164, or a located 422. */
export function e164Of(input: string, country: string | undefined, path: string): string {
  const phone = parsePhone(input, country);
  if (!phone.ok) throw new ApiError("invalid_number", phone.detail, { extra: { reason: phone.reason }, errors: [{ path, message: phone.detail }] });
  return phone.e164;
}

export async function blockNumber(env: MeterEnv, tenantId: string, number: string, reason: string | null) {
  const result = await meterFor(env, tenantId).block([{ number, reason }], "api");
  return { created: result.created === 1, entry: (await meterFor(env, tenantId).blockEntry(number))! };
}

/**
 * Unblocks a number for a live key or the operator (test keys change no block list: `testKeysReadOnly`). A recipient's
 * opt-out (STOP) is lifted only with a reason, and the lift is recorded as an `opt_out.lifted` event the tenant can
 * read (GET /v1/events) and subscribe to; the handset's START lifts it too, without one.
 */
export async function unblockNumber(
  env: MeterEnv & Pick<Env, "WEBHOOK_QUEUE">,
  db: Db,
  tenantId: string,
  number: string,
  lift: { reason: string | undefined; by: "api_key" | "operator"; keyId?: string },
): Promise<void> {
  const outcome = await meterFor(env, tenantId).unblockByRequest(number, lift.reason !== undefined);
  if (outcome === "not_found") throw new ApiError("not_found", `${number} is not on your block list.`);
  if (outcome === "opt_out") {
    const message = "the number opted out (STOP): lifting it needs a reason, which is recorded";
    throw new ApiError("validation_failed", `${number} opted out by replying STOP; pass ?reason= to lift it (the lift is recorded as an event).`, {
      errors: [{ path: "query.reason", message }],
    });
  }
  if (outcome === "opt_out_lifted") {
    const now = Date.now();
    const data = { number, reason: lift.reason, lifted_by: lift.by, key_id: lift.keyId ?? null, lifted_at: new Date(now).toISOString() };
    const created = await recordTenantEvent(db, { tenantId, mode: "live" }, "opt_out.lifted", `opt_out:${number}:${now}`, data);
    const outbox = new EventOutbox();
    outbox.add(created);
    await outbox.flush(env.WEBHOOK_QUEUE);
  }
}

export async function blocklistPage(env: MeterEnv, tenantId: string, limit: number, after?: string, source?: BlockSource) {
  const rows = await meterFor(env, tenantId).blocklist(limit, after, source);
  return pageByNumber(rows, limit);
}

export async function allowNumber(env: MeterEnv, tenantId: string, number: string, note: string | null, sandbox: boolean) {
  const result = await meterFor(env, tenantId).allow(number, note, sandbox ? SANDBOX_ALLOWLIST_MAX : null);
  if ("full" in result) {
    throw new ApiError("allowlist_full", `In the sandbox the allow list holds at most ${SANDBOX_ALLOWLIST_MAX} numbers; remove one first.`);
  }
  return result;
}

export async function disallowNumber(env: MeterEnv, tenantId: string, number: string): Promise<void> {
  if (!(await meterFor(env, tenantId).disallow(number))) throw new ApiError("not_found", `${number} is not on your allow list.`);
}

export async function allowlistPage(env: MeterEnv, tenantId: string, limit: number, after?: string) {
  return pageByNumber(await meterFor(env, tenantId).allowlist(limit, after), limit);
}

function pageByNumber<T extends BlockEntry | AllowEntry>(rows: T[], limit: number) {
  const data = rows.slice(0, limit);
  return { data, next: rows.length > limit ? data.at(-1)!.number : null };
}

/**
 * Imports numbers into the block list from JSON items or CSV rows (a `phone` or `number` column and
 * an optional `reason`). Valid rows are kept, duplicates merged, invalid rows reported by row number;
 * nothing is written until every row is read, so a body that fails half way imports nothing.
 */
export async function importBlocklist(
  env: MeterEnv,
  tenantId: string,
  rows: AsyncIterable<{ row: number; number: string | undefined; reason: string | undefined }>,
  country: string | undefined,
): Promise<ImportReport> {
  const entries = new Map<string, string | null>();
  const report = emptyReport();
  let count = 0;
  for await (const { row, number, reason } of rows) {
    if (++count > BLOCKLIST_IMPORT_MAX) {
      throw new ApiError("validation_failed", `A block-list import takes at most ${BLOCKLIST_IMPORT_MAX} numbers.`, {
        errors: [{ path: "body", message: `more than ${BLOCKLIST_IMPORT_MAX} rows` }],
      });
    }
    const phone = number ? parsePhone(number, country) : null;
    if (!phone?.ok) {
      reportInvalid(report, row, number ?? "", phone ? phone.detail : "no phone number in this row");
      continue;
    }
    entries.set(phone.e164, reason || null);
  }
  const result = await meterFor(env, tenantId).block([...entries].map(([n, r]) => ({ number: n, reason: r })), "import");
  return { ...report, imported: result.created, updated: result.updated };
}
