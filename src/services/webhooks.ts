import { and, desc, eq, inArray, isNull, sql, type SQL } from "drizzle-orm";
import type { Db } from "../db/client";
import { controlDb } from "../db/shards";
import { TtlCache } from "../lib/ttl-cache";
import type { Owner } from "../types";
import { insertJsonRows } from "../db/json-rows";
import { runBatch } from "../db/statements";
import { tenants, webhookAttempts, webhookDeliveries, webhookEndpoints, type WebhookEndpointRow } from "../db/schema";
import { webhookUrlProblem } from "../domain/webhook-url";
import { DELIVERY_TIMEOUT_MS, nextAttemptDelay, SECRET_OVERLAP_MS, type DeliveryStatus, type WebhookEventType } from "../domain/webhooks";
import { toBase64, randomBytes } from "../lib/crypto";
import { ApiError, limitExceeded } from "../lib/errors";
import { checkpoint } from "../lib/faults";
import { newId } from "../lib/ids";
import { log } from "../lib/log";
import { idBefore } from "../lib/pagination";
import { signWebhook } from "../lib/standard-webhooks";
import { openEventData } from "./message-data";
import type { CompatApi } from "../domain/compat/apis";
import type { KeyMode } from "../domain/api-key";
import { ALIBABA_REPORTED, compatPost, type StatusEventData } from "./compat-callbacks";
import { callbackSigningSecrets } from "./compat-credentials";

type WebhookEnv = Pick<Env, "DB" | "ENVIRONMENT" | "DATA_ENCRYPTION_KEY">;
const development = (env: WebhookEnv) => env.ENVIRONMENT === "development";

/** A Standard Webhooks secret: `whsec_` and 24 random bytes in base64. */
export const newSecret = () => `whsec_${toBase64(randomBytes(24))}`;

function checkUrl(env: WebhookEnv, url: string, path: string): void {
  const problem = webhookUrlProblem(url, development(env));
  if (problem) throw new ApiError("validation_failed", `The URL ${problem}.`, { errors: [{ path, message: problem }] });
}

/** Endpoints a tenant may have (both modes together): each event is posted to every one, so their number is bounded. */
export const MAX_ENDPOINTS = 20;

export async function createEndpoint(env: WebhookEnv, db: Db, owner: Owner, url: string, types: WebhookEventType[]): Promise<WebhookEndpointRow> {
  checkUrl(env, url, "body.url");
  const now = Date.now();
  const row: WebhookEndpointRow = {
    id: newId("webhookEndpoint", now),
    tenantId: owner.tenantId,
    mode: owner.mode,
    url,
    events: [...new Set(types)],
    secret: newSecret(),
    previousSecret: null,
    previousSecretUntil: null,
    createdAt: now,
    deletedAt: null,
  };
  // The count and the insert are one statement: two concurrent creates cannot both take the last place.
  const room = sql`(SELECT COUNT(*) FROM webhook_endpoints WHERE tenant_id = ${owner.tenantId} AND deleted_at IS NULL) < ${MAX_ENDPOINTS}`;
  const [inserted] = await runBatch<{ id: string }>(db, [sql`${insertJsonRows(webhookEndpoints, [{ ...row, events: JSON.stringify(row.events) }], room)} RETURNING id`]);
  if (inserted!.length === 0) throw limitExceeded("webhook endpoints", MAX_ENDPOINTS);
  return row;
}

/** An owner's endpoints: its tenant's, made by keys of its mode. */
const ownedBy = (owner: Owner) => and(eq(webhookEndpoints.tenantId, owner.tenantId), eq(webhookEndpoints.mode, owner.mode));

export async function getEndpoint(db: Db, owner: Owner, id: string): Promise<WebhookEndpointRow> {
  const row = await db.query.webhookEndpoints.findFirst({
    where: and(eq(webhookEndpoints.id, id), ownedBy(owner), isNull(webhookEndpoints.deletedAt)),
  });
  if (!row) throw new ApiError("not_found", `No webhook endpoint ${id}.`);
  return row;
}

export async function listEndpoints(db: Db, owner: Owner): Promise<WebhookEndpointRow[]> {
  return db
    .select()
    .from(webhookEndpoints)
    .where(and(ownedBy(owner), isNull(webhookEndpoints.deletedAt)))
    .orderBy(desc(webhookEndpoints.id));
}

/** Removes an endpoint: nothing more is sent to it, pending deliveries included. */
export async function deleteEndpoint(db: Db, owner: Owner, id: string): Promise<void> {
  await getEndpoint(db, owner, id);
  const now = Date.now();
  await db.batch([
    db.update(webhookEndpoints).set({ deletedAt: now }).where(and(eq(webhookEndpoints.id, id), ownedBy(owner))),
    db
      .update(webhookDeliveries)
      .set({ status: "failed", lastError: "endpoint deleted", updatedAt: now })
      .where(and(eq(webhookDeliveries.endpointId, id), eq(webhookDeliveries.status, "pending"))),
  ]);
}

/** A new secret; the old one keeps signing beside it for SECRET_OVERLAP_MS. */
export async function rotateSecret(db: Db, owner: Owner, id: string): Promise<WebhookEndpointRow> {
  // One statement: the secret it replaces becomes the previous one, whatever another rotation did meanwhile.
  const [rotated] = await db
    .update(webhookEndpoints)
    .set({ secret: newSecret(), previousSecret: sql`${webhookEndpoints.secret}`, previousSecretUntil: Date.now() + SECRET_OVERLAP_MS })
    .where(and(eq(webhookEndpoints.id, id), ownedBy(owner), isNull(webhookEndpoints.deletedAt)))
    .returning();
  if (!rotated) throw new ApiError("not_found", `No webhook endpoint ${id}.`);
  return rotated;
}

/** A mode's callback secret, and the one it replaced while that still signs beside it. */
export interface CallbackSecretState {
  secret: string;
  previousSecret: string | null;
  previousUntil: number | null;
}

/**
 * Callback secrets as an isolate last read them (bounded, as every cache). A rotation elsewhere reaches this
 * isolate within the TTL, far inside the overlap in which the old secret still signs.
 */
const knownCallbackSecrets = new TtlCache<CallbackSecretState>(10 * 60_000, 1_000);

/** Callback-URL deliveries are signed with their tenant's secret, which lives on its row in the control database. */
async function withCallbackSecrets(control: Db, dataKey: string | undefined, claimed: ClaimedDelivery[]): Promise<void> {
  const callbacks = claimed.filter((d) => d.endpointId === null);
  const owners = [...new Map(callbacks.map((d) => [`${d.tenantId}:${d.eventMode}`, { tenantId: d.tenantId, mode: d.eventMode }])).entries()];
  const twilio = callbacks.filter((d) => d.callbackFormat === "twilio" && d.credentialId !== null);
  const [secrets, tokens] = await Promise.all([
    Promise.all(owners.map(async ([key, owner]) => [key, await knownCallbackSecrets.getOrLoad(key, () => callbackSecret(control, owner))] as const)).then(
      (pairs) => new Map(pairs),
    ),
    callbackSigningSecrets(control, dataKey, twilio.map((d) => ({ id: d.credentialId!, tenantId: d.tenantId }))),
  ]);
  for (const delivery of callbacks) {
    delivery.callbackSecret = secrets.get(`${delivery.tenantId}:${delivery.eventMode}`) ?? null;
    if (delivery.callbackFormat === "twilio") delivery.credentialSecret = tokens.get(delivery.credentialId ?? "") ?? null;
  }
}

/**
 * The secret that signs a tenant's per-message callbacks in one key mode, made on first use: the live one starts
 * as the tenant's callback secret from before there were two, the test one new. A test key never reads the live one.
 */
export async function callbackSecret(db: Db, owner: Owner): Promise<CallbackSecretState> {
  const fresh = newSecret();
  const [row] = await runBatch<CallbackSecretState>(db, [
    sql`INSERT INTO callback_secrets (tenant_id, mode, secret, created_at)
      VALUES (${owner.tenantId}, ${owner.mode},
        COALESCE(CASE WHEN ${owner.mode} = 'live' THEN (SELECT callback_secret FROM tenants WHERE id = ${owner.tenantId}) END, ${fresh}), ${Date.now()})
      ON CONFLICT DO NOTHING`,
    sql`SELECT secret, previous_secret AS previousSecret, previous_until AS previousUntil FROM callback_secrets WHERE tenant_id = ${owner.tenantId} AND mode = ${owner.mode}`,
  ]).then((results) => results[1]!);
  return row!;
}

/**
 * A new callback secret for the owner's mode; the one it replaces keeps signing beside it for SECRET_OVERLAP_MS
 * (Standard Webhooks' several signatures), so a receiver can switch without losing a delivery.
 */
export async function rotateCallbackSecret(db: Db, owner: Owner, now = Date.now()): Promise<CallbackSecretState> {
  await callbackSecret(db, owner);
  const [rotated] = await db.all<CallbackSecretState>(sql`UPDATE callback_secrets
    SET previous_secret = secret, previous_until = ${now + SECRET_OVERLAP_MS}, secret = ${newSecret()}
    WHERE tenant_id = ${owner.tenantId} AND mode = ${owner.mode}
    RETURNING secret, previous_secret AS previousSecret, previous_until AS previousUntil`);
  knownCallbackSecrets.delete(`${owner.tenantId}:${owner.mode}`);
  return rotated!;
}

/**
 * Makes the deliveries of `eventIds`: one per subscribed endpoint of the event's mode, and one to the message's callback_url
 * for its status events. Ids are derived from the event and the endpoint, so fanning out twice makes
 * nothing twice. Returns the deliveries not yet tried.
 */
export async function fanOut(db: Db, eventIds: string[], now = Date.now()): Promise<string[]> {
  if (eventIds.length === 0) return [];
  const ids = JSON.stringify(eventIds);
  checkpoint("webhook_fanout");
  const [, , , pending] = await runBatch<{ id: string }>(db, [
    sql`INSERT INTO webhook_deliveries (id, event_id, tenant_id, endpoint_id, url, status, attempts, next_attempt_at, created_at, updated_at)
      SELECT 'dlv_' || substr(e.id, 5) || '_' || substr(w.id, 5), e.id, e.tenant_id, w.id, w.url, 'pending', 0, ${now}, ${now}, ${now}
      FROM events e JOIN webhook_endpoints w ON w.tenant_id = e.tenant_id AND w.mode = e.mode AND w.deleted_at IS NULL
      WHERE e.id IN (SELECT value FROM json_each(${ids})) AND EXISTS (SELECT 1 FROM json_each(w.events) WHERE value = e.type)
      ON CONFLICT DO NOTHING`,
    sql`INSERT INTO webhook_deliveries (id, event_id, tenant_id, endpoint_id, url, status, attempts, next_attempt_at, created_at, updated_at)
      SELECT 'dlv_' || substr(e.id, 5) || '_callback', e.id, e.tenant_id, NULL, m.callback_url, 'pending', 0, ${now}, ${now}, ${now}
      FROM events e JOIN messages m ON m.id = e.data ->> '$.message_id'
      WHERE e.id IN (SELECT value FROM json_each(${ids})) AND e.type = 'message.status' AND m.callback_url IS NOT NULL
        AND (m.callback_format IS NOT 'alibaba' OR e.data ->> '$.status' IN (SELECT value FROM json_each(${JSON.stringify(ALIBABA_REPORTED)})))
      ON CONFLICT DO NOTHING`,
    sql`UPDATE events SET fanned_out_at = ${now} WHERE id IN (SELECT value FROM json_each(${ids})) AND fanned_out_at IS NULL`,
    sql`SELECT id FROM webhook_deliveries WHERE event_id IN (SELECT value FROM json_each(${ids})) AND status = 'pending' AND attempts = 0`,
  ]);
  checkpoint("webhook_fanout", "after");
  return pending!.map((row) => row.id);
}

/** The body every delivery of an event carries, byte for byte, however often it is tried or replayed. */
export function eventBody(event: { id: string; type: string; createdAt: number; data: unknown }): string {
  return JSON.stringify({ id: event.id, type: event.type, created_at: new Date(event.createdAt).toISOString(), data: event.data });
}

export type AttemptOutcome =
  | { kind: "skipped" }
  | { kind: "succeeded" }
  | { kind: "retry"; delaySeconds: number }
  | { kind: "failed" }
  /**
   * Not tried: its tenant had its share of this batch. Its next try was moved to a later slot (POSTS_PER_TENANT
   * a slot, DEFER_SECONDS apart), so it is queued once for that slot; not counted as a try.
   */
  | { kind: "deferred"; delaySeconds: number };

/** Posts in flight at once per consumer batch: a slow endpoint holds one slot, not the batch. */
const POSTS_AT_ONCE = 20;
/**
 * One tenant's posts per consumer batch (and per cron run, ten times this). Its failing or slow endpoints
 * cannot take a batch's posts (and the invocation's subrequests) from other tenants' deliveries: what is
 * over this waits DEFER_SECONDS for a later batch, its tries not counted.
 */
export const POSTS_PER_TENANT = 10;
const DEFER_SECONDS = 2;

/** A claimed delivery with what its try needs: the event, and the secrets that sign it. */
interface ClaimedDelivery {
  id: string;
  tenantId: string;
  endpointId: string | null;
  url: string;
  attempts: number;
  eventId: string;
  eventType: string;
  eventCreatedAt: number;
  eventData: string;
  secret: string | null;
  previousSecret: string | null;
  previousSecretUntil: number | null;
  /** The mode of the event: which of the tenant's callback secrets signs a callback. */
  eventMode: KeyMode;
  callbackSecret: CallbackSecretState | null;
  /** A callback of a message sent through a compatible API: its format, and what that format needs of the message. */
  callbackFormat: CompatApi | null;
  credentialId: string | null;
  messageFrom: string | null;
  submittedAt: number | null;
  /** The Twilio credential's auth token, which signs its StatusCallbacks. */
  credentialSecret?: string | null;
}

/**
 * Claims the deliveries of `ids` that are due, up to POSTS_PER_TENANT a tenant, with everything their tries need,
 * in one D1 batch. The due ones over a tenant's share are `deferred`: their next try moves to a later slot, the
 * n-th over the share to n / POSTS_PER_TENANT slots of DEFER_SECONDS ahead, so each is queued once for its slot
 * and a tenant's backlog costs work in proportion to its size, not its square.
 */
async function claimDeliveries(db: Db, ids: readonly string[], now: number): Promise<{ claimed: ClaimedDelivery[]; deferred: { id: string; delaySeconds: number }[] }> {
  const json = JSON.stringify(ids);
  const until = now + DELIVERY_TIMEOUT_MS + 50_000;
  const [deferred, , claimed] = await runBatch<ClaimedDelivery & { id: string; nextAttemptAt: number }>(db, [
    sql`UPDATE webhook_deliveries SET next_attempt_at = ${now} + ((r.nth - 1) / ${POSTS_PER_TENANT}) * ${DEFER_SECONDS * 1000}
      FROM (
        SELECT d.id, ROW_NUMBER() OVER (PARTITION BY d.tenant_id ORDER BY d.next_attempt_at, d.id) AS nth
        FROM json_each(${json}) AS j CROSS JOIN webhook_deliveries d ON d.id = j.value
        WHERE d.status = 'pending' AND d.next_attempt_at <= ${now} AND (d.claimed_until IS NULL OR d.claimed_until < ${now})) AS r
      WHERE webhook_deliveries.id = r.id AND r.nth > ${POSTS_PER_TENANT}
      RETURNING webhook_deliveries.id AS id, webhook_deliveries.next_attempt_at AS nextAttemptAt`,
    // What is still due after that is at most POSTS_PER_TENANT a tenant: this batch's to try.
    sql`UPDATE webhook_deliveries SET claimed_until = ${until}
      WHERE id IN (
        SELECT id FROM (
          SELECT d.id, ROW_NUMBER() OVER (PARTITION BY d.tenant_id ORDER BY d.next_attempt_at, d.id) AS nth
          FROM json_each(${json}) AS j CROSS JOIN webhook_deliveries d ON d.id = j.value
          WHERE d.status = 'pending' AND d.next_attempt_at <= ${now} AND (d.claimed_until IS NULL OR d.claimed_until < ${now}))
        WHERE nth <= ${POSTS_PER_TENANT})`,
    sql`SELECT d.id, d.tenant_id AS tenantId, d.endpoint_id AS endpointId, d.url, d.attempts,
        e.id AS eventId, e.type AS eventType, e.created_at AS eventCreatedAt, e.data AS eventData, e.mode AS eventMode,
        w.secret, w.previous_secret AS previousSecret, w.previous_secret_until AS previousSecretUntil, NULL AS callbackSecret,
        m.callback_format AS callbackFormat, m.credential_id AS credentialId, m."from" AS messageFrom, m.submitted_at AS submittedAt
      FROM webhook_deliveries d JOIN events e ON e.id = d.event_id
        LEFT JOIN webhook_endpoints w ON w.id = d.endpoint_id AND w.deleted_at IS NULL
        LEFT JOIN messages m ON d.endpoint_id IS NULL AND m.id = e.data ->> '$.message_id' AND m.tenant_id = d.tenant_id
      WHERE d.id IN (SELECT value FROM json_each(${json})) AND d.claimed_until = ${until} AND d.status = 'pending'`,
  ]);
  return { claimed: claimed!, deferred: deferred!.map((row) => ({ id: row.id, delaySeconds: Math.max(1, Math.ceil((row.nextAttemptAt - now) / 1000)) })) };
}

/** The endpoint's secret, and its previous one while the rotation overlap lasts; or the tenant's callback secret. */
function signingSecrets(delivery: ClaimedDelivery, now: number): string[] {
  if (delivery.endpointId === null) {
    const state = delivery.callbackSecret;
    if (!state) return [];
    return state.previousSecret && state.previousUntil !== null && state.previousUntil > now ? [state.secret, state.previousSecret] : [state.secret];
  }
  if (!delivery.secret) return [];
  const overlap = delivery.previousSecret && (delivery.previousSecretUntil ?? 0) > now ? [delivery.previousSecret] : [];
  return [delivery.secret, ...overlap];
}

/** One try's post: the status code, or why there was none. */
async function post(env: WebhookEnv, db: Db, delivery: ClaimedDelivery, now: number) {
  const started = Date.now();
  let statusCode: number | null = null;
  let error: string | null = webhookUrlProblem(delivery.url, development(env));
  const secrets = error ? [] : signingSecrets(delivery, now);
  if (!error && secrets.length === 0) error = "endpoint deleted";
  if (!error) {
    // A reply's text is stored encrypted: an unreadable one (its key not configured) is a failed try, retried.
    const data = await openEventData(env.DATA_ENCRYPTION_KEY, delivery.tenantId, JSON.parse(delivery.eventData)).catch(() => null);
    if (data === null) return { statusCode: null, error: "the event's data cannot be decrypted", latencyMs: 0 };
    // A message sent through Twilio's or Alibaba's API reports in that vendor's format (src/services/compat-callbacks.ts).
    const vendor =
      delivery.callbackFormat === null
        ? null
        : await compatPost(delivery.callbackFormat, delivery.url, data as StatusEventData, { from: delivery.messageFrom, submittedAt: delivery.submittedAt, credentialId: delivery.credentialId }, delivery.credentialSecret ?? null);
    if (vendor && delivery.callbackFormat === "twilio" && !vendor.headers["X-Twilio-Signature"]) {
      return { statusCode: null, error: "the credential that signs this callback was revoked", latencyMs: 0 };
    }
    const body = vendor?.body ?? eventBody({ id: delivery.eventId, type: delivery.eventType, createdAt: delivery.eventCreatedAt, data });
    const timestamp = Math.floor(now / 1000);
    const signatures = await Promise.all(secrets.map((secret) => signWebhook(secret, delivery.eventId, timestamp, body)));
    try {
      const response = await fetch(delivery.url, {
        method: "POST",
        // Redirects are not followed: a public URL must not bounce a delivery to an internal one.
        redirect: "manual",
        headers: {
          "content-type": vendor?.contentType ?? "application/json",
          "user-agent": "sms-gateway-webhooks/1",
          ...signatures[0]!,
          "webhook-signature": signatures.map((s) => s["webhook-signature"]).join(" "),
          ...vendor?.headers,
        },
        body,
        signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
      });
      statusCode = response.status;
      await response.body?.cancel();
      if (!response.ok) error = `HTTP ${response.status}`;
    } catch (e) {
      error = e instanceof Error && e.name === "TimeoutError" ? `no answer within ${DELIVERY_TIMEOUT_MS / 1000} s` : String(e);
    }
  }
  return { statusCode, error, latencyMs: Date.now() - started };
}

/**
 * One try of each of many deliveries, in two D1 round trips whatever their number: the claim (a conditional
 * update, so two consumers never post one delivery at once) with the events and secrets, then every try's
 * record. The event's id is the `webhook-id` of every try, so a receiver can drop repeats. 2xx succeeds;
 * anything else (or no answer in 10 s) is tried again on the schedule, then recorded as failed.
 */
export async function attemptDeliveries(env: WebhookEnv, db: Db, deliveryIds: readonly string[], now = Date.now()): Promise<Map<string, AttemptOutcome>> {
  const outcomes = new Map<string, AttemptOutcome>(deliveryIds.map((id) => [id, { kind: "skipped" }]));
  if (deliveryIds.length === 0) return outcomes;
  const { claimed, deferred } = await claimDeliveries(db, [...new Set(deliveryIds)], now);
  await withCallbackSecrets(controlDb(env), env.DATA_ENCRYPTION_KEY, claimed);
  for (const { id, delaySeconds } of deferred) outcomes.set(id, { kind: "deferred", delaySeconds });
  const tries: { deliveryId: string; attempt: number; at: number; statusCode: number | null; latencyMs: number; error: string | null }[] = [];
  const updates: { id: string; status: DeliveryStatus; attempts: number; nextAttemptAt: number | null; lastStatusCode: number | null; lastError: string | null }[] = [];
  for (let i = 0; i < claimed.length; i += POSTS_AT_ONCE) {
    await Promise.all(
      claimed.slice(i, i + POSTS_AT_ONCE).map(async (delivery) => {
        const { statusCode, error, latencyMs } = await post(env, db, delivery, now);
        const attempt = delivery.attempts + 1;
        const delay = error ? nextAttemptDelay(attempt) : null;
        const status: DeliveryStatus = !error ? "succeeded" : delay === null ? "failed" : "pending";
        tries.push({ deliveryId: delivery.id, attempt, at: now, statusCode, latencyMs, error });
        updates.push({ id: delivery.id, status, attempts: attempt, nextAttemptAt: delay === null ? null : now + delay * 1000, lastStatusCode: statusCode, lastError: error });
        outcomes.set(delivery.id, status === "succeeded" ? { kind: "succeeded" } : status === "failed" ? { kind: "failed" } : { kind: "retry", delaySeconds: delay! });
        if (status === "failed") log.warn("webhook_delivery_failed", { delivery_id: delivery.id, tenant_id: delivery.tenantId, attempts: attempt });
      }),
    );
  }
  if (updates.length > 0) {
    await runBatch(db, [
      insertJsonRows(webhookAttempts, tries),
      sql`UPDATE webhook_deliveries SET status = u.value ->> '$.status', attempts = u.value ->> '$.attempts', next_attempt_at = u.value ->> '$.nextAttemptAt',
          claimed_until = NULL, last_status_code = u.value ->> '$.lastStatusCode', last_error = u.value ->> '$.lastError', updated_at = ${now}
        FROM json_each(${JSON.stringify(updates)}) AS u WHERE webhook_deliveries.id = u.value ->> '$.id'`,
    ]);
  }
  return outcomes;
}

/** One delivery's try (the batch path with one). */
export async function attemptDelivery(env: WebhookEnv, db: Db, deliveryId: string, now = Date.now()): Promise<AttemptOutcome> {
  return (await attemptDeliveries(env, db, [deliveryId], now)).get(deliveryId)!;
}

export async function listDeliveries(
  db: Db,
  owner: Owner,
  endpointId: string,
  filter: { status?: DeliveryStatus; limit: number; cursor?: string },
) {
  await getEndpoint(db, owner, endpointId);
  const conditions: SQL[] = [eq(webhookDeliveries.endpointId, endpointId)];
  if (filter.status) conditions.push(eq(webhookDeliveries.status, filter.status));
  if (filter.cursor) conditions.push(idBefore(webhookDeliveries.id, filter.cursor));
  const rows = await db.select().from(webhookDeliveries).where(and(...conditions)).orderBy(desc(webhookDeliveries.id)).limit(filter.limit + 1);
  const attempts = rows.length
    ? await db.select().from(webhookAttempts).where(inArray(webhookAttempts.deliveryId, rows.slice(0, filter.limit).map((r) => r.id)))
    : [];
  return rows.map((row) => ({ ...row, attemptLog: attempts.filter((a) => a.deliveryId === row.id).sort((a, b) => a.attempt - b.attempt) }));
}

/** Replays one delivery now (also a failed one): the same event id and body, a new try. */
export async function retryDelivery(db: Db, owner: Owner, endpointId: string, deliveryId: string) {
  await getEndpoint(db, owner, endpointId);
  const { tenantId } = owner;
  const [row] = await db
    .update(webhookDeliveries)
    .set({ status: "pending", nextAttemptAt: Date.now(), claimedUntil: null, updatedAt: Date.now() })
    .where(and(eq(webhookDeliveries.id, deliveryId), eq(webhookDeliveries.endpointId, endpointId), eq(webhookDeliveries.tenantId, tenantId)))
    .returning();
  if (!row) throw new ApiError("not_found", `No delivery ${deliveryId} for endpoint ${endpointId}.`);
  const attemptLog = await db.select().from(webhookAttempts).where(eq(webhookAttempts.deliveryId, deliveryId)).orderBy(webhookAttempts.attempt);
  return { ...row, attemptLog };
}

/**
 * The cron's share: fans out events a crash (or a lost enqueue) left without deliveries, and finds
 * deliveries whose try is due but whose job was lost or lies beyond the queue's longest delay.
 */
export async function dueWebhookWork(db: Db, now: number, limit = 500): Promise<{ events: string[]; deliveries: string[] }> {
  const [unfanned, due] = await runBatch<{ id: string }>(db, [
    sql`SELECT id FROM events WHERE fanned_out_at IS NULL AND created_at < ${now - 30_000} LIMIT ${limit}`,
    // A try due within the last minute is its queued job's to run; later than that, it was lost. Oldest first,
    // and at most ten batches' share a tenant, taken in turns, so one tenant's backlog does not fill the run.
    sql`SELECT id FROM (
        SELECT id, next_attempt_at, ROW_NUMBER() OVER (PARTITION BY tenant_id ORDER BY next_attempt_at, id) AS nth
        FROM webhook_deliveries
        WHERE status = 'pending' AND next_attempt_at <= ${now - 60_000} AND (claimed_until IS NULL OR claimed_until < ${now}))
      WHERE nth <= ${POSTS_PER_TENANT * 10} ORDER BY nth, next_attempt_at LIMIT ${limit}`,
  ]);
  return { events: unfanned!.map((e) => e.id), deliveries: due!.map((d) => d.id) };
}
