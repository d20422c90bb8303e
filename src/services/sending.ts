import { and, eq } from "drizzle-orm";
import { carrierNameFor } from "../carriers/registry";
import type { Db } from "../db/client";
import { messageEvents, messages, type MessageEventRow, type MessageRow } from "../db/schema";
import { analyzeBody, MAX_SEGMENTS, type Encoding } from "../domain/encoding";
import type { MessageType } from "../domain/message-status";
import { parsePhone, type PhoneResult } from "../domain/phone";
import { rateLimitHeaders } from "../domain/rate-limit-headers";
import { sha256Hex } from "../lib/crypto";
import { ApiError } from "../lib/errors";
import { newId } from "../lib/ids";
import { log } from "../lib/log";
import { meterFor } from "../meter/client";
import { refusalError } from "../meter/refusals";
import type { AdmitRequest } from "../meter/tenant-meter";
import { enqueueSend } from "../queues/bodies";
import type { AuthContext } from "../types";
import type { MessageWithEvents } from "./messages";
import { unitPrice } from "./prices";

export interface SendInput {
  to: string;
  body: string;
  type: MessageType;
  from?: string;
  reference?: string;
  country?: string;
}

type SendEnv = Pick<Env, "SEND_QUEUE" | "LIVE_CARRIER" | "METER" | "BILLING_CURRENCY">;

export type SendResult =
  | { kind: "accepted"; message: MessageWithEvents; headers: Record<string, string> }
  /** The stored answer to an earlier request with the same idempotency key. */
  | { kind: "replayed"; response: string };

export interface SendPreview {
  would_send: boolean;
  refusal: { code: string; status: number; detail: string } | null;
  to: string | null;
  country: string | null;
  type: MessageType;
  encoding: Encoding;
  segments: number;
  price: number | null;
  currency: string;
  carrier: string;
}

/** The content checks, which come before any metering: a valid number and a body that fits. */
function contentError(phone: PhoneResult, segments: number, encoding: Encoding): ApiError | null {
  if (!phone.ok) return new ApiError("invalid_number", phone.detail, { extra: { reason: phone.reason } });
  if (segments > MAX_SEGMENTS) {
    return new ApiError("body_too_long", `The body needs ${segments} ${encoding} segments; at most ${MAX_SEGMENTS} are allowed.`);
  }
  return null;
}

/** What the message reserves: the destination's price per segment, for live keys of metered tenants. */
async function priceOf(db: Db, auth: AuthContext, country: string | null, segments: number): Promise<number> {
  return auth.mode === "live" && auth.metered ? (await unitPrice(db, country)) * segments : 0;
}

/** Same key and same request: a hash of the validated body with its keys in a fixed order. */
export function fingerprint(input: SendInput): Promise<string> {
  return sha256Hex(JSON.stringify(input, Object.keys(input).sort()));
}

/**
 * Accepts a message. The order is what keeps it lost-free and charge-correct:
 * 1. content checks; 2. one call to the tenant's meter, which decides idempotency, rates, quota,
 * caps and balance and consumes them atomically; 3. the outbox write (message and first event in one
 * D1 batch); 4. the send job. If the write fails, the meter gives back what it took. If the enqueue
 * fails, the row is there and the sweeper enqueues it. If the Worker dies between 2 and 3, the meter's
 * alarm finds no message and gives back what it took.
 */
export async function acceptMessage(
  env: SendEnv,
  db: Db,
  auth: AuthContext,
  input: SendInput,
  options: { idempotencyKey?: string; render: (message: MessageWithEvents) => string },
): Promise<SendResult> {
  const phone = parsePhone(input.to, input.country);
  const { encoding, segments } = analyzeBody(input.body);
  const invalid = contentError(phone, segments, encoding);
  if (invalid || !phone.ok) throw invalid;

  const now = Date.now();
  const row: MessageRow = {
    id: newId("message", now),
    tenantId: auth.tenantId,
    mode: auth.mode,
    to: phone.e164,
    country: phone.country,
    from: input.from ?? null,
    type: input.type,
    body: input.body,
    status: "queued",
    encoding,
    segments,
    carrier: carrierNameFor(auth.mode, env),
    carrierMessageId: null,
    errorCode: null,
    errorMessage: null,
    reference: input.reference ?? null,
    price: await priceOf(db, auth, phone.country, segments),
    currency: env.BILLING_CURRENCY,
    refundedAt: null,
    attempts: 0,
    version: 1,
    createdAt: now,
    updatedAt: now,
  };
  const event: MessageEventRow = { messageId: row.id, seq: 1, status: "queued", at: now, detail: null };
  const message: MessageWithEvents = { ...row, events: [event] };

  let headers: Record<string, string> = {};
  const meter = meterFor(env, auth.tenantId);
  if (auth.metered || options.idempotencyKey) {
    const admit: AdmitRequest = {
      tenantId: auth.tenantId,
      messageId: row.id,
      recipient: row.to,
      type: row.type,
      segments,
      price: row.price,
      exempt: !auth.metered,
      // Test and live keys of one tenant never share an idempotency key, as they share no messages.
      idempotency: options.idempotencyKey
        ? { key: `${auth.mode}:${options.idempotencyKey}`, fingerprint: await fingerprint(input), response: options.render(message) }
        : undefined,
    };
    const verdict = await meter.admit(admit);
    switch (verdict.outcome) {
      case "idempotency_mismatch":
        throw new ApiError("idempotency_mismatch", "This idempotency key was used with a different request in the last 24 hours.");
      case "replay":
        if (await messageExists(db, auth.tenantId, verdict.messageId)) return { kind: "replayed", response: verdict.response };
        throw new ApiError(
          "idempotency_in_progress",
          "A request with this idempotency key is still being processed; retry in a moment.",
          { headers: { "Retry-After": "1" } },
        );
      case "refused":
        throw refusalError(verdict.refusal, verdict.quotas, env.BILLING_CURRENCY);
      case "dry_run":
        throw new Error("the meter answered a send with a dry run");
      case "admitted":
        headers = rateLimitHeaders(verdict.quotas);
    }
  }

  try {
    await db.batch([db.insert(messages).values(row), db.insert(messageEvents).values(event)]);
  } catch (error) {
    // A write can fail after it committed. Only a message known not to be there gives back what the
    // meter took (reservation, quota, cap slot, key), so nothing is sent uncharged; when that cannot be
    // told now, or the release fails, the meter's alarm checks D1 and releases it a few minutes later.
    const stored = await messageExists(db, auth.tenantId, row.id).catch(() => null);
    if (stored !== true) {
      if (stored === false && (auth.metered || options.idempotencyKey)) {
        await meter.release(row.id).catch((e: unknown) => log.error("meter_release_failed", { message_id: row.id, error: String(e) }));
      }
      throw error;
    }
  }
  try {
    await enqueueSend(env.SEND_QUEUE, row.id);
  } catch (error) {
    log.warn("enqueue_failed", { message_id: row.id, error: String(error) });
  }
  return { kind: "accepted", message, headers };
}

/** Runs every check a send would, and changes nothing: no message, no charge, nothing counted. */
export async function previewMessage(
  env: SendEnv,
  db: Db,
  auth: AuthContext,
  input: SendInput,
): Promise<{ preview: SendPreview; headers: Record<string, string> }> {
  const phone = parsePhone(input.to, input.country);
  const { encoding, segments } = analyzeBody(input.body);
  const country = phone.ok ? phone.country : null;
  const price = phone.ok ? await priceOf(db, auth, country, segments) : null;
  let refusal: ApiError | null = contentError(phone, segments, encoding);
  let headers: Record<string, string> = {};
  if (!refusal && phone.ok && auth.metered) {
    const verdict = await meterFor(env, auth.tenantId).admit({
      tenantId: auth.tenantId,
      messageId: "dry_run",
      recipient: phone.e164,
      type: input.type,
      segments,
      price: price ?? 0,
      dryRun: true,
    });
    if (verdict.outcome !== "dry_run") throw new Error(`the meter answered a dry run with ${verdict.outcome}`);
    headers = rateLimitHeaders(verdict.quotas);
    refusal = verdict.refusal && refusalError(verdict.refusal, verdict.quotas, env.BILLING_CURRENCY);
  }
  return {
    preview: {
      would_send: refusal === null,
      refusal: refusal && { code: refusal.code, status: refusal.status, detail: refusal.message },
      to: phone.ok ? phone.e164 : null,
      country,
      type: input.type,
      encoding,
      segments,
      price,
      currency: env.BILLING_CURRENCY,
      carrier: carrierNameFor(auth.mode, env),
    },
    headers,
  };
}

async function messageExists(db: Db, tenantId: string, id: string): Promise<boolean> {
  const row = await db.query.messages.findFirst({
    columns: { id: true },
    where: and(eq(messages.id, id), eq(messages.tenantId, tenantId)),
  });
  return row !== undefined;
}
