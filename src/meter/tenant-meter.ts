import { createHmac } from "node:crypto";
import { CONTROL, reachableShard, shardBinding } from "../db/shards";
import { DurableObject } from "cloudflare:workers";
import type {
  AdmitRequest,
  AdmitVerdict,
  BatchAdmitItem,
  BatchAdmitRequest,
  BatchAdmitResult,
  LedgerKind,
  LedgerEntry,
  BlockEntry,
  AllowEntry,
  AccountState,
  SignedNonce,
} from "./types";
import {
  firstRefusal,
  type BlockSource,
  messageRule,
  requestQuotas,
  requestRule,
  sendQuotas,
  type MeterSnapshot,
  type Refusal,
} from "../domain/admission";
import {
  applyLimitsPatch,
  CAP_WINDOWS,
  capsFor,
  DEFAULT_LIMITS,
  LONGEST_CAP_WINDOW_MS,
  type Limits,
  type LimitsPatch,
} from "../domain/limits";
import type { QuotaState } from "../domain/rate-limit-headers";
import { refill, secondsUntilAvailable, take, type Bucket } from "../domain/token-bucket";
import { nextUtcMidnight, utcDay } from "../domain/utc-day";
import { newId } from "../lib/ids";
import { METER_SCHEMA } from "./schema";
import { REPLAY_WINDOW_MS } from "../domain/compat/alibaba";

/** Blocks kept after an erasure are keyed by a hash with this prefix (never a number: E.164 starts with +). */
const ERASED_PREFIX = "h:";
const ERASED_END = "h;";

/** Idempotency keys are remembered this long. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/** How often expired counters are deleted while there are any. */
const EXPIRY_INTERVAL_MS = 60 * 60 * 1000;
/**
 * An admission whose message is not in D1 this long after is released: the Worker died between the
 * two, or the write failed and so did the release. No write takes anywhere near this long.
 */
export const RECONCILE_AFTER_MS = 5 * 60 * 1000;
/** Admissions checked against D1 per query. */
const RECONCILE_BATCH = 500;

type LedgerRow = {
  seq: number;
  id: string;
  kind: LedgerKind;
  amount: number;
  balance: number;
  message_id: string | null;
  note: string | null;
  created_at: number;
};

const toEntry = (row: LedgerRow): LedgerEntry => ({
  id: row.id,
  kind: row.kind,
  amount: row.amount,
  balance: row.balance,
  messageId: row.message_id,
  note: row.note,
  createdAt: row.created_at,
});

/** Nonces older than this are forgotten: a request that old is refused by its timestamp anyway. */
const NONCE_WINDOW_MS = REPLAY_WINDOW_MS;

/**
 * One per tenant, addressed by tenant id: the single authority for everything counted per tenant.
 * Every method runs its reads and writes synchronously against the object's SQLite storage, so a
 * decision and what it consumes are one atomic step, and nothing is held only in memory.
 */
export class TenantMeter extends DurableObject<Env> {
  /** The meter's clock. Tests move it to cross windows and midnights without sleeping. */
  now: () => number = () => Date.now();
  private readonly sql: SqlStorage;
  private limitsCache: Limits | null = null;
  /** The alarm as last read or set; undefined until read once per instance. */
  private alarmAt: number | null | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    for (const statement of METER_SCHEMA) this.sql.exec(statement);
  }

  /** Decides a send and, if it is admitted, consumes everything it costs, in one step. */
  async admit(request: AdmitRequest): Promise<AdmitVerdict> {
    const now = this.now();
    if (request.nonce !== undefined && !request.dryRun && !(await this.claimNonce(request.nonce, NONCE_WINDOW_MS))) return { outcome: "nonce_used" };
    if (request.idempotency && !request.dryRun) {
      const earlier = this.rememberedKey(request.idempotency.key, now);
      if (earlier) {
        if (!request.exempt) this.countRequest(now);
        return earlier.fingerprint === request.idempotency.fingerprint
          ? { outcome: "replay", messageId: earlier.message_id }
          : { outcome: "idempotency_mismatch" };
      }
    }
    const snapshot = this.snapshot(request, now);
    const refusal = firstRefusal(snapshot, request, now);
    const quotas = request.exempt ? [] : sendQuotas(snapshot.limits, snapshot.messages, snapshot.sentToday, now);
    // A dry run and a refused send are requests too: each takes a request token (none is owed when the
    // request rate is what refused it), so neither can be repeated faster than the tenant's request rate.
    const requestRefused = refusal?.code === "rate_limited" && refusal.limit === "requests";
    if (!request.exempt && !requestRefused && (request.dryRun || refusal)) this.countRequest(now);
    if (request.dryRun) return { outcome: "dry_run", refusal, quotas };
    if (refusal) return { outcome: "refused", refusal, quotas };
    if (request.exempt) {
      if (request.idempotency) {
        this.ctx.storage.transactionSync(() => {
          this.rememberKey(request.idempotency!, request.messageId, now);
          this.awaitConfirmation(request, now);
        });
        await this.ensureAlarmBy(Date.now() + RECONCILE_AFTER_MS + 60_000);
      }
      return { outcome: "admitted", quotas };
    }
    const messages = take(snapshot.messages);
    this.ctx.storage.transactionSync(() => {
      this.saveBucket("requests", take(snapshot.requests));
      this.consume(request, snapshot, now);
      if (request.idempotency) this.rememberKey(request.idempotency, request.messageId, now);
    });
    await this.ensureAlarmBy(Date.now() + RECONCILE_AFTER_MS + 60_000);
    return { outcome: "admitted", quotas: sendQuotas(snapshot.limits, messages, snapshot.sentToday + 1, now) };
  }

  /**
   * Admits a chunk of a batch in order, each recipient checked as a send is (except the API request
   * rate), in one transaction. Stops at the first recipient the message rate cannot take yet, or that
   * the balance or the daily quota cannot cover. Safe to repeat: an item whose message id was admitted
   * before is answered as admitted and consumes nothing again.
   *
   * The chunk's state (buckets, the day's usage, balance, the recipients' lists and recent sends) is read
   * once and carried in memory from one item to the next, and what the admitted items consume is written
   * once at the end: a fixed number of statements per chunk instead of a dozen per recipient.
   */
  async admitBatch(request: BatchAdmitRequest): Promise<BatchAdmitResult> {
    const now = this.now();
    const result: BatchAdmitResult = { verdicts: [], halt: null };
    this.ctx.storage.transactionSync(() => {
      const chunk = this.readChunk(request, now);
      const admitted: (BatchAdmitItem & { balance: number })[] = [];
      for (const [index, item] of request.items.entries()) {
        if (chunk.admittedBefore.has(item.messageId)) {
          result.verdicts.push({ admitted: true });
          continue;
        }
        const send: AdmitRequest = { tenantId: request.tenantId, type: request.type, exempt: request.exempt, sandbox: request.sandbox, ...item };
        const sends = chunk.recentSends.get(item.recipient) ?? [];
        const snapshot: MeterSnapshot = {
          limits: chunk.limits,
          blocked: chunk.blocked.get(item.recipient) ?? null,
          allowlisted: chunk.allowed.has(item.recipient),
          requests: chunk.requests,
          messages: chunk.messages,
          sentToday: chunk.sentToday,
          recipientSends: sends,
          balance: chunk.balance,
        };
        const refusal = firstRefusal(snapshot, { ...send, batch: true }, now);
        if (refusal?.code === "rate_limited") {
          // Wait until the bucket holds the rest of the chunk (or is full), not for a single token.
          const rule = messageRule(chunk.limits);
          const wanted = Math.min(rule.burst, request.items.length - index);
          result.halt = { kind: "paced", retryAfter: Math.max(refusal.retryAfter, secondsUntilAvailable(chunk.messages, rule, wanted)) };
          break;
        }
        if (refusal?.code === "insufficient_balance" || refusal?.code === "quota_exceeded") {
          result.halt = { kind: "stopped", refusal };
          break;
        }
        if (refusal) {
          result.verdicts.push({ admitted: false, refusal });
          continue;
        }
        result.verdicts.push({ admitted: true });
        if (request.exempt) continue;
        chunk.messages = take(chunk.messages);
        chunk.sentToday += 1;
        chunk.balance -= item.price;
        chunk.recentSends.set(item.recipient, [...sends, now]);
        admitted.push({ ...item, balance: chunk.balance });
      }
      if (admitted.length > 0) this.consumeChunk(request, chunk.messages, admitted, now);
    });
    if (!request.exempt && result.verdicts.some((v) => v.admitted)) await this.ensureAlarmBy(Date.now() + RECONCILE_AFTER_MS + 60_000);
    return result;
  }

  /** What deciding a batch chunk needs to know, read in one statement per table. */
  private readChunk(request: BatchAdmitRequest, now: number) {
    const limits = this.limits();
    const ids = JSON.stringify(request.items.map((item) => item.messageId));
    const recipients = JSON.stringify([...new Set(request.items.map((item) => item.recipient))]);
    const admittedBefore = new Set(
      this.sql
        .exec<{ message_id: string }>(`SELECT message_id FROM recipient_sends WHERE message_id IN (SELECT value FROM json_each(?))`, ids)
        .toArray()
        .map((row) => row.message_id),
    );
    // A recipient is blocked in clear, or as the hash its block was kept as when the number was erased.
    const erased = this.erasedForms(JSON.parse(recipients) as string[]);
    const blocked = new Map(
      this.sql
        .exec<{ number: string; source: BlockSource }>(
          `SELECT number, source FROM blocklist WHERE number IN (SELECT value FROM json_each(?))`,
          JSON.stringify([...(JSON.parse(recipients) as string[]), ...erased.keys()]),
        )
        .toArray()
        .map((row) => [erased.get(row.number) ?? row.number, { source: row.source }]),
    );
    const allowed = new Set(
      this.sql
        .exec<{ number: string }>(`SELECT number FROM allowlist WHERE number IN (SELECT value FROM json_each(?))`, recipients)
        .toArray()
        .map((row) => row.number),
    );
    // As in `snapshot`: each recipient's newest sends, as many as the largest cap, oldest first.
    const recentSends = new Map<string, number[]>();
    const caps = capsFor(limits, request.type);
    if (caps.length > 0) {
      const rows = this.sql
        .exec<{ recipient: string; at: number }>(
          `SELECT recipient, at FROM (
             SELECT recipient, at, ROW_NUMBER() OVER (PARTITION BY recipient ORDER BY at DESC) AS newest
             FROM recipient_sends WHERE recipient IN (SELECT value FROM json_each(?)) AND type = ? AND at > ?)
           WHERE newest <= ? ORDER BY recipient, at`,
          recipients,
          request.type,
          now - Math.max(...caps.map((cap) => CAP_WINDOWS[cap.window])),
          Math.max(...caps.map((cap) => cap.max)),
        )
        .toArray();
      for (const row of rows) recentSends.set(row.recipient, [...(recentSends.get(row.recipient) ?? []), row.at]);
    }
    return {
      limits,
      admittedBefore,
      blocked,
      allowed,
      recentSends,
      requests: refill(this.bucket("requests"), requestRule(limits), now),
      messages: refill(this.bucket("messages"), messageRule(limits), now),
      sentToday: this.sentToday(now),
      balance: this.balance(),
    };
  }

  /** Writes what a chunk's admitted items consume, as `consume` does for one, in one statement per table. */
  private consumeChunk(request: BatchAdmitRequest, messages: Bucket, items: (BatchAdmitItem & { balance: number })[], now: number): void {
    this.saveBucket("messages", messages);
    this.sql.exec(
      `INSERT INTO daily_usage (day, messages, segments, spend) VALUES (?, ?, ?, ?)
       ON CONFLICT (day) DO UPDATE SET messages = messages + excluded.messages, segments = segments + excluded.segments,
         spend = spend + excluded.spend`,
      utcDay(now),
      items.length,
      items.reduce((sum, item) => sum + item.segments, 0),
      items.reduce((sum, item) => sum + item.price, 0),
    );
    const ids = JSON.stringify(items.map((item) => item.messageId));
    this.sql.exec(
      `INSERT INTO recipient_sends (message_id, recipient, type, at)
       SELECT value ->> '$.messageId', value ->> '$.recipient', ?, ? FROM json_each(?)`,
      request.type,
      now,
      JSON.stringify(items.map(({ messageId, recipient }) => ({ messageId, recipient }))),
    );
    const charged = items.filter((item) => item.price > 0);
    if (charged.length > 0) {
      // In order, each with the running balance after it, as `appendLedger` writes one.
      this.sql.exec(
        `INSERT INTO ledger (id, kind, amount, balance, message_id, note, created_at)
         SELECT value ->> '$.id', 'reserve', value ->> '$.amount', value ->> '$.balance', value ->> '$.messageId', NULL, ?
         FROM json_each(?) ORDER BY key`,
        now,
        JSON.stringify(charged.map((item) => ({ id: newId("ledgerEntry", now), amount: -item.price, balance: item.balance, messageId: item.messageId }))),
      );
    }
    this.sql.exec(`INSERT OR IGNORE INTO settings (name, value) VALUES ('tenant_id', ?)`, request.tenantId);
    this.sql.exec(`INSERT OR REPLACE INTO unconfirmed (message_id, at) SELECT value, ? FROM json_each(?)`, now, ids);
  }

  /** Refunds each message's reservation, at most once each (see `refund`). Returns the total refunded. */
  refundMany(messageIds: string[], note: string): number {
    let total = 0;
    for (const id of messageIds) total += this.refund(id, note)?.amount ?? 0;
    return total;
  }

  /** Takes what an admitted send costs: a message token, the day's quota, a cap slot, its reservation. */
  private consume(request: AdmitRequest, snapshot: MeterSnapshot, now: number): void {
    this.saveBucket("messages", take(snapshot.messages));
    this.sql.exec(
      `INSERT INTO daily_usage (day, messages, segments, spend) VALUES (?, 1, ?, ?)
       ON CONFLICT (day) DO UPDATE SET messages = messages + 1, segments = segments + excluded.segments,
         spend = spend + excluded.spend`,
      utcDay(now),
      request.segments,
      request.price,
    );
    this.sql.exec(
      `INSERT INTO recipient_sends (message_id, recipient, type, at) VALUES (?, ?, ?, ?)`,
      request.messageId,
      request.recipient,
      request.type,
      now,
    );
    if (request.price > 0) this.appendLedger("reserve", -request.price, request.messageId, null, now);
    this.awaitConfirmation(request, now);
  }

  /** One API request, or `cost` of them for a heavy one (a long report); never more than the burst. */
  hit(cost = 1): { refusal: Refusal | null; quotas: QuotaState[] } {
    const limits = this.limits();
    const rule = requestRule(limits);
    const need = Math.min(Math.max(1, cost), rule.burst);
    const bucket = refill(this.bucket("requests"), rule, this.now());
    if (bucket.tokens < need) {
      const refusal: Refusal = { code: "rate_limited", limit: "requests", retryAfter: secondsUntilAvailable(bucket, rule, need) };
      return { refusal, quotas: requestQuotas(limits, bucket) };
    }
    const after = take(bucket, need);
    this.saveBucket("requests", after);
    return { refusal: null, quotas: requestQuotas(limits, after) };
  }

  /**
   * Undoes an admission whose message was never written (the outbox write failed): the reservation
   * is refunded and the quota, the cap slot and the idempotency key are given back.
   */
  release(messageId: string): void {
    const now = this.now();
    this.ctx.storage.transactionSync(() => this.releaseNow(messageId, now));
  }

  /**
   * Says these messages were stored, before their rows are deleted (a Twilio-style DELETE): the reconciler
   * would otherwise find them missing from the outbox and refund a message that was sent.
   */
  confirmStored(messageIds: string[]): void {
    this.sql.exec(`DELETE FROM unconfirmed WHERE message_id IN (SELECT value FROM json_each(?))`, JSON.stringify(messageIds));
  }

  /**
   * Refunds a message's reservation. Exactly once: the ledger holds at most one refund per message,
   * so a second call, from a redelivered job or a sweep, changes nothing and returns null.
   */
  refund(messageId: string, note: string): LedgerEntry | null {
    const now = this.now();
    return this.ctx.storage.transactionSync(() => {
      const reserve = this.reserveOf(messageId);
      if (!reserve) return null;
      const already = this.sql.exec(`SELECT 1 FROM ledger WHERE kind = 'refund' AND message_id = ?`, messageId).toArray();
      if (already.length > 0) return null;
      return this.appendLedger("refund", -reserve.amount, messageId, note, now);
    });
  }

  /**
   * Adds to the balance. With a key, a retry of the same credit answers the first entry (`replayed`)
   * and credits nothing; the same key with another amount is a mismatch.
   */
  credit(amount: number, note: string | null, key?: string): { entry: LedgerEntry; replayed: boolean } | { mismatch: true } {
    const now = this.now();
    return this.ctx.storage.transactionSync(() => {
      if (key) {
        const earlier = this.sql.exec<{ amount: number; entry_id: string }>(`SELECT amount, entry_id FROM credit_keys WHERE key = ?`, key).toArray()[0];
        if (earlier) {
          if (earlier.amount !== amount) return { mismatch: true as const };
          const row = this.sql.exec<LedgerRow>(`SELECT * FROM ledger WHERE id = ?`, earlier.entry_id).one();
          return { entry: toEntry(row), replayed: true };
        }
      }
      const entry = this.appendLedger("credit", amount, null, note, now);
      if (key) this.sql.exec(`INSERT INTO credit_keys (key, amount, entry_id) VALUES (?, ?, ?)`, key, amount, entry.id);
      return { entry, replayed: false };
    });
  }

  /** Newest first; `beforeSeq` continues from an earlier page. Returns one more than asked for. */
  ledger(limit: number, beforeSeq?: number): (LedgerEntry & { seq: number })[] {
    const rows = this.sql
      .exec<LedgerRow>(
        `SELECT * FROM ledger WHERE seq < ? ORDER BY seq DESC LIMIT ?`,
        beforeSeq ?? Number.MAX_SAFE_INTEGER,
        limit + 1,
      )
      .toArray();
    return rows.map((row) => ({ ...toEntry(row), seq: row.seq }));
  }

  account(): AccountState {
    const now = this.now();
    const day = utcDay(now);
    const usage = this.sql
      .exec<{ messages: number; segments: number; spend: number }>(
        `SELECT messages, segments, spend FROM daily_usage WHERE day = ?`,
        day,
      )
      .toArray()[0] ?? { messages: 0, segments: 0, spend: 0 };
    return { balance: this.balance(), limits: this.limits(), today: { day, ...usage, resetsAt: nextUtcMidnight(now) } };
  }

  /** Adds numbers to the block list, or updates their source and reason. Says how many were new. */
  block(entries: { number: string; reason: string | null }[], source: BlockSource): { created: number; updated: number } {
    const now = this.now();
    return this.ctx.storage.transactionSync(() => {
      let created = 0;
      for (const { number, reason } of entries) {
        const existed = this.sql.exec(`SELECT 1 FROM blocklist WHERE number = ?`, number).toArray().length > 0;
        this.sql.exec(
          `INSERT INTO blocklist (number, source, reason, created_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (number) DO UPDATE SET source = excluded.source, reason = excluded.reason`,
          number,
          source,
          reason,
          now,
        );
        if (!existed) created += 1;
      }
      return { created, updated: entries.length - created };
    });
  }

  /** An opt-out reply: blocks the number unless it is blocked already (an API block keeps its source). */
  optOut(number: string, reason: string): boolean {
    return (
      this.sql
        .exec(`INSERT OR IGNORE INTO blocklist (number, source, reason, created_at) VALUES (?, 'opt_out', ?, ?) RETURNING number`, number, reason, this.now())
        .toArray().length > 0
    );
  }

  /** Removes a number from the block list, in clear or kept as its hash after an erasure (only if it got there by `onlySource`, when given). */
  unblock(number: string, onlySource?: BlockSource): boolean {
    const forms = JSON.stringify([number, this.erasedToken(number)]);
    const removed = onlySource
      ? this.sql.exec(`DELETE FROM blocklist WHERE number IN (SELECT value FROM json_each(?)) AND source = ? RETURNING number`, forms, onlySource)
      : this.sql.exec(`DELETE FROM blocklist WHERE number IN (SELECT value FROM json_each(?)) RETURNING number`, forms);
    return removed.toArray().length > 0;
  }

  /**
   * An API's or the operator's unblock: the tenant's own block goes; a recipient's opt-out (STOP) goes only when
   * `liftOptOut` (a live key or the operator, with a recorded reason), else it stays and `opt_out` is answered.
   * In one step, so the check and the removal cannot be split by a STOP in between.
   */
  unblockByRequest(number: string, liftOptOut: boolean): "removed" | "opt_out_lifted" | "opt_out" | "not_found" {
    const forms = JSON.stringify([number, this.erasedToken(number)]);
    return this.ctx.storage.transactionSync(() => {
      const rows = this.sql.exec<{ source: BlockSource }>(`SELECT source FROM blocklist WHERE number IN (SELECT value FROM json_each(?))`, forms).toArray();
      if (rows.length === 0) return "not_found";
      const optOut = rows.some((row) => row.source === "opt_out");
      if (optOut && !liftOptOut) return "opt_out";
      this.sql.exec(`DELETE FROM blocklist WHERE number IN (SELECT value FROM json_each(?))`, forms);
      return optOut ? "opt_out_lifted" : "removed";
    });
  }

  /**
   * Erasure of a number: its block (an opt-out, or the tenant's own) is kept as a salted hash, so it still
   * blocks but no longer names the number; its allow-list entry and its per-recipient send history go.
   * Idempotent: a second erasure finds nothing left to change.
   */
  erase(number: string): { block_kept_as_hash: boolean; allowlist_removed: boolean; send_history_removed: number } {
    return this.ctx.storage.transactionSync(() => {
      const blocked = this.sql.exec<BlockEntry>(`DELETE FROM blocklist WHERE number = ? RETURNING *`, number).toArray()[0];
      if (blocked) {
        this.sql.exec(
          `INSERT OR IGNORE INTO blocklist (number, source, reason, created_at) VALUES (?, ?, NULL, ?)`,
          this.erasedToken(number),
          blocked.source,
          blocked.created_at,
        );
      }
      const allowed = this.sql.exec(`DELETE FROM allowlist WHERE number = ? RETURNING number`, number).toArray().length > 0;
      const sends = this.sql.exec(`DELETE FROM recipient_sends WHERE recipient = ? RETURNING message_id`, number).toArray().length;
      return { block_kept_as_hash: blocked !== undefined, allowlist_removed: allowed, send_history_removed: sends };
    });
  }

  /** The block-list key of an erased number: an HMAC under this tenant's own salt, made on first use. */
  private erasedToken(number: string): string {
    let salt = this.sql.exec<{ value: string }>(`SELECT value FROM settings WHERE name = 'erasure_salt'`).toArray()[0]?.value;
    if (!salt) {
      salt = [...crypto.getRandomValues(new Uint8Array(32))].map((b) => b.toString(16).padStart(2, "0")).join("");
      this.sql.exec(`INSERT INTO settings (name, value) VALUES ('erasure_salt', ?)`, salt);
    }
    return `${ERASED_PREFIX}${createHmac("sha256", salt).update(number).digest("hex")}`;
  }

  /** Each number's hashed key, when any block was kept as a hash (one index probe otherwise). */
  private erasedForms(numbers: readonly string[]): Map<string, string> {
    const any = this.sql.exec(`SELECT 1 FROM blocklist WHERE number >= ? AND number < ? LIMIT 1`, ERASED_PREFIX, ERASED_END).toArray().length > 0;
    return any ? new Map(numbers.map((number) => [this.erasedToken(number), number])) : new Map();
  }

  blockEntry(number: string): BlockEntry | null {
    return this.sql.exec<BlockEntry>(`SELECT * FROM blocklist WHERE number = ?`, number).toArray()[0] ?? null;
  }

  /** By number; `after` continues from a page's last number. Returns one more than asked for. */
  blocklist(limit: number, after?: string, source?: BlockSource): BlockEntry[] {
    return this.sql
      .exec<BlockEntry>(
        `SELECT * FROM blocklist WHERE number > ? AND (? IS NULL OR source = ?) ORDER BY number LIMIT ?`,
        after ?? "",
        source ?? null,
        source ?? null,
        limit + 1,
      )
      .toArray();
  }

  /** Adds a number to the allow list; with `max`, refuses to grow it beyond that many numbers. */
  allow(number: string, note: string | null, max: number | null): { entry: AllowEntry; created: boolean } | { full: true } {
    const now = this.now();
    return this.ctx.storage.transactionSync(() => {
      const existing = this.sql.exec<AllowEntry>(`SELECT * FROM allowlist WHERE number = ?`, number).toArray()[0];
      if (!existing && max !== null && this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM allowlist`).one().n >= max) {
        return { full: true as const };
      }
      const entry = this.sql
        .exec<AllowEntry>(
          `INSERT INTO allowlist (number, note, created_at) VALUES (?, ?, ?)
           ON CONFLICT (number) DO UPDATE SET note = excluded.note RETURNING *`,
          number,
          note,
          now,
        )
        .one();
      return { entry, created: !existing };
    });
  }

  disallow(number: string): boolean {
    return this.sql.exec(`DELETE FROM allowlist WHERE number = ? RETURNING number`, number).toArray().length > 0;
  }

  allowlist(limit: number, after?: string): AllowEntry[] {
    return this.sql.exec<AllowEntry>(`SELECT * FROM allowlist WHERE number > ? ORDER BY number LIMIT ?`, after ?? "", limit + 1).toArray();
  }

  configure(patch: LimitsPatch): Limits {
    const limits = applyLimitsPatch(this.limits(), patch);
    this.sql.exec(`INSERT OR REPLACE INTO settings (name, value) VALUES ('limits', ?)`, JSON.stringify(limits));
    this.limitsCache = limits;
    return limits;
  }

  /**
   * Takes a signed request's nonce (`<credential>:<nonce>`): true the first time, false for a replay. A nonce is
   * kept until `windowMs` past the later of now and the time it was signed for: a request signed ahead of time
   * stays acceptable by its timestamp that much longer, so its nonce must be remembered as long. The tenant's
   * own meter holds them, so a nonce costs no shared database and nothing across tenants.
   */
  async claimNonce(nonce: SignedNonce, windowMs: number): Promise<boolean> {
    const now = this.now();
    const at = Math.max(now, nonce.signedAt);
    const taken = this.sql.exec(`INSERT INTO nonces (key, at) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET at = excluded.at WHERE nonces.at <= ? RETURNING key`, nonce.key, at, now - windowMs).toArray().length > 0;
    if (taken) await this.ensureAlarmBy(Date.now() + (at - now) + windowMs + 60_000);
    return taken;
  }

  /**
   * Releases admissions whose message never reached D1, then deletes what can no longer count: cap
   * records past the longest window, stale keys, old days. Runs while there is anything left to do.
   * If D1 cannot be read the alarm throws and is retried; nothing is released on a guess.
   */
  override async alarm(): Promise<void> {
    this.alarmAt = null;
    const now = this.now();
    await this.reconcile(now);
    this.sql.exec(`DELETE FROM recipient_sends WHERE at <= ?`, now - LONGEST_CAP_WINDOW_MS);
    this.sql.exec(`DELETE FROM idempotency WHERE created_at <= ?`, now - IDEMPOTENCY_TTL_MS);
    this.sql.exec(`DELETE FROM daily_usage WHERE day < ?`, utcDay(now - 86_400_000));
    this.sql.exec(`DELETE FROM nonces WHERE at <= ?`, now - NONCE_WINDOW_MS);
    const count = (table: string) => this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`).one().n;
    if (count("unconfirmed") > 0) await this.ensureAlarmBy(Date.now() + RECONCILE_AFTER_MS);
    else if (count("recipient_sends") + count("idempotency") + count("nonces") > 0) await this.ensureAlarmBy(Date.now() + EXPIRY_INTERVAL_MS);
  }

  /** Checks admissions older than RECONCILE_AFTER_MS against the outbox, and releases those not in it. */
  private async reconcile(now: number): Promise<void> {
    const tenantId = this.sql.exec<{ value: string }>(`SELECT value FROM settings WHERE name = 'tenant_id'`).toArray()[0]?.value;
    if (!tenantId) return;
    // The outbox is the tenant's shard (its placement is in the control database). A shard this Worker does not
    // reach throws: reading another database would find no message and refund every admission.
    const placed = await this.env.DB.prepare(`SELECT shard FROM tenants WHERE id = ?`).bind(tenantId).first<{ shard: string }>();
    if (!placed) throw new Error(`The meter's tenant ${tenantId} is not in the control database`);
    const shard = reachableShard(this.env, placed.shard);
    const outbox = shard === CONTROL ? this.env.DB : shardBinding(this.env, shard);
    for (;;) {
      const due = this.sql
        .exec<{ message_id: string }>(
          `SELECT message_id FROM unconfirmed WHERE at <= ? ORDER BY message_id LIMIT ?`,
          now - RECONCILE_AFTER_MS,
          RECONCILE_BATCH,
        )
        .toArray()
        .map((row) => row.message_id);
      if (due.length === 0) return;
      // Message ids sort by time, so one range read per mode on (tenant_id, mode, id) finds every one of them that was stored.
      const { results } = await outbox.prepare(`SELECT id FROM messages WHERE tenant_id = ? AND mode IN ('test', 'live') AND id BETWEEN ? AND ?`)
        .bind(tenantId, due[0], due.at(-1))
        .all<{ id: string }>();
      const stored = new Set(results.map((row) => row.id));
      this.ctx.storage.transactionSync(() => {
        for (const id of due) {
          if (!stored.has(id)) this.releaseNow(id, now);
          this.sql.exec(`DELETE FROM unconfirmed WHERE message_id = ?`, id);
        }
      });
      if (due.length < RECONCILE_BATCH) return;
    }
  }

  /** Makes sure the alarm fires no later than `at` (real time: alarms run on the real clock). */
  private async ensureAlarmBy(at: number): Promise<void> {
    if (this.alarmAt === undefined) this.alarmAt = await this.ctx.storage.getAlarm();
    if (this.alarmAt !== null && this.alarmAt <= at) return;
    await this.ctx.storage.setAlarm(at);
    this.alarmAt = at;
  }

  /** Records an admission until the alarm has seen its message in D1. */
  private awaitConfirmation(request: AdmitRequest, now: number): void {
    this.sql.exec(`INSERT OR IGNORE INTO settings (name, value) VALUES ('tenant_id', ?)`, request.tenantId);
    this.sql.exec(`INSERT OR REPLACE INTO unconfirmed (message_id, at) VALUES (?, ?)`, request.messageId, now);
  }

  /**
   * Gives back what an admission took, once. A message refunded already was stored (only a stored message is
   * refunded by `refund`): it is only confirmed, never released, so nothing is refunded twice.
   */
  private releaseNow(messageId: string, now: number): void {
    this.sql.exec(`DELETE FROM unconfirmed WHERE message_id = ?`, messageId);
    if (this.sql.exec(`SELECT 1 FROM ledger WHERE kind = 'refund' AND message_id = ?`, messageId).toArray().length > 0) return;
    this.sql.exec(`DELETE FROM idempotency WHERE message_id = ?`, messageId);
    const send = this.sql
      .exec<{ at: number }>(`DELETE FROM recipient_sends WHERE message_id = ? RETURNING at`, messageId)
      .toArray()[0];
    if (!send) return;
    const reserve = this.reserveOf(messageId);
    this.sql.exec(
      `UPDATE daily_usage SET messages = messages - 1, spend = spend - ? WHERE day = ?`,
      reserve ? -reserve.amount : 0,
      utcDay(send.at),
    );
    if (reserve) this.appendLedger("refund", -reserve.amount, messageId, "the message was never stored", now);
  }

  private snapshot(request: AdmitRequest, now: number): MeterSnapshot {
    const limits = this.limits();
    const sentToday = this.sentToday(now);
    // Only the newest sends can decide a cap: as many as the largest cap, never every send of the day
    // (a recipient messaged thousands of times would otherwise make each admission slower).
    const caps = capsFor(limits, request.type);
    const recipientSends =
      caps.length === 0
        ? []
        : this.sql
            .exec<{ at: number }>(
              `SELECT at FROM recipient_sends WHERE recipient = ? AND type = ? AND at > ? ORDER BY at DESC LIMIT ?`,
              request.recipient,
              request.type,
              now - Math.max(...caps.map((cap) => CAP_WINDOWS[cap.window])),
              Math.max(...caps.map((cap) => cap.max)),
            )
            .toArray()
            .map((row) => row.at)
            .reverse();
    return {
      limits,
      blocked:
        this.sql
          .exec<{ source: BlockSource }>(
            `SELECT source FROM blocklist WHERE number IN (SELECT value FROM json_each(?))`,
            JSON.stringify([request.recipient, ...this.erasedForms([request.recipient]).keys()]),
          )
          .toArray()[0] ?? null,
      allowlisted: this.sql.exec(`SELECT 1 FROM allowlist WHERE number = ?`, request.recipient).toArray().length > 0,
      requests: refill(this.bucket("requests"), requestRule(limits), now),
      messages: refill(this.bucket("messages"), messageRule(limits), now),
      sentToday,
      recipientSends,
      balance: this.balance(),
    };
  }

  /** The earlier request with this key, if it is less than 24 hours old. */
  private rememberedKey(key: string, now: number) {
    return this.sql
      .exec<{ fingerprint: string; message_id: string }>(
        `SELECT fingerprint, message_id FROM idempotency WHERE key = ? AND created_at > ?`,
        key,
        now - IDEMPOTENCY_TTL_MS,
      )
      .toArray()[0];
  }

  private rememberKey(idempotency: NonNullable<AdmitRequest["idempotency"]>, messageId: string, now: number): void {
    // REPLACE: a key older than 24 hours may be used again, for a new request. No answer is kept (`response` is
    // empty): it would hold the message body in clear.
    this.sql.exec(
      `INSERT OR REPLACE INTO idempotency (key, fingerprint, message_id, response, created_at) VALUES (?, ?, ?, '', ?)`,
      idempotency.key,
      idempotency.fingerprint,
      messageId,
      now,
    );
  }

  private limits(): Limits {
    if (!this.limitsCache) {
      const stored = this.sql.exec<{ value: string }>(`SELECT value FROM settings WHERE name = 'limits'`).toArray()[0];
      // Stored limits are laid over the defaults, so a limit added later has a value for every tenant.
      this.limitsCache = stored ? applyLimitsPatch(DEFAULT_LIMITS, JSON.parse(stored.value)) : DEFAULT_LIMITS;
    }
    return this.limitsCache;
  }

  /** Takes a request token if there is one; never refuses (the request's answer is decided already). */
  private countRequest(now: number): void {
    const bucket = refill(this.bucket("requests"), requestRule(this.limits()), now);
    if (bucket.tokens >= 1) this.saveBucket("requests", take(bucket));
  }

  private bucket(name: "requests" | "messages"): Bucket | null {
    return this.sql.exec<{ tokens: number; at: number }>(`SELECT tokens, at FROM buckets WHERE name = ?`, name).toArray()[0] ?? null;
  }

  private saveBucket(name: "requests" | "messages", bucket: Bucket): void {
    this.sql.exec(`INSERT OR REPLACE INTO buckets (name, tokens, at) VALUES (?, ?, ?)`, name, bucket.tokens, bucket.at);
  }

  private sentToday(now: number): number {
    return this.sql.exec<{ messages: number }>(`SELECT messages FROM daily_usage WHERE day = ?`, utcDay(now)).toArray()[0]?.messages ?? 0;
  }

  private balance(): number {
    return this.sql.exec<{ balance: number }>(`SELECT balance FROM ledger ORDER BY seq DESC LIMIT 1`).toArray()[0]?.balance ?? 0;
  }

  private reserveOf(messageId: string): { amount: number } | undefined {
    return this.sql
      .exec<{ amount: number }>(`SELECT amount FROM ledger WHERE kind = 'reserve' AND message_id = ?`, messageId)
      .toArray()[0];
  }

  private appendLedger(kind: LedgerKind, amount: number, messageId: string | null, note: string | null, now: number): LedgerEntry {
    const row = this.sql
      .exec<LedgerRow>(
        `INSERT INTO ledger (id, kind, amount, balance, message_id, note, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *`,
        newId("ledgerEntry", now),
        kind,
        amount,
        this.balance() + amount,
        messageId,
        note,
        now,
      )
      .one();
    return toEntry(row);
  }
}
