// The meter's RPC types: what callers send a TenantMeter and what it answers (src/meter/tenant-meter.ts).
import type { BlockSource, Refusal } from "../domain/admission";
import type { Limits } from "../domain/limits";
import type { MessageType } from "../domain/message-status";
import type { QuotaState } from "../domain/rate-limit-headers";

export interface AdmitRequest {
  tenantId: string;
  messageId: string;
  recipient: string;
  type: MessageType;
  segments: number;
  /** Micro-units to reserve from the balance; 0 for a send that is not charged. */
  price: number;
  /** Run every check, change nothing. */
  dryRun?: boolean;
  /** The tenant is exempt from metering: only the recipient checks apply and only the key is recorded. */
  exempt?: boolean;
  /** A live key of a tenant in the sandbox: only allow-listed recipients. */
  sandbox?: boolean;
  /** An answer to the recipient's keyword reply (HELP), owed even to a number that opted out. */
  keywordReply?: boolean;
  /**
   * The key and a hash of the request. Only the message id is remembered with them, never the answer (it holds
   * the body): a replay is answered by rendering the stored message again.
   */
  idempotency?: { key: string; fingerprint: string };
  /**
   * A signed request's nonce (`<credential>:<nonce>`, Alibaba's API): taken before anything else, in the same
   * call, so a replayed send is refused without a round trip of its own.
   */
  nonce?: SignedNonce;
}

/** A signed request's nonce (`<credential>:<nonce>`) and the time it was signed for, which may be ahead of now. */
export interface SignedNonce {
  key: string;
  signedAt: number;
}

export type AdmitVerdict =
  | { outcome: "admitted"; quotas: QuotaState[] }
  | { outcome: "refused"; refusal: Refusal; quotas: QuotaState[] }
  | { outcome: "dry_run"; refusal: Refusal | null; quotas: QuotaState[] }
  | { outcome: "replay"; messageId: string }
  | { outcome: "idempotency_mismatch" }
  | { outcome: "nonce_used" };

/** One recipient of a batch chunk, as the meter sees it. */
export interface BatchAdmitItem {
  messageId: string;
  recipient: string;
  segments: number;
  price: number;
}

export interface BatchAdmitRequest {
  tenantId: string;
  type: MessageType;
  exempt: boolean;
  sandbox: boolean;
  items: BatchAdmitItem[];
}

export interface BatchAdmitResult {
  /** One per item examined, in order: admitted, or refused for that recipient alone. */
  verdicts: ({ admitted: true } | { admitted: false; refusal: Refusal })[];
  /**
   * Why the items after the last verdict were not examined: the message rate is used up for now
   * (`paced`: they wait `retryAfter` seconds), or the balance or daily quota ran out (`stopped`).
   */
  halt: null | { kind: "paced"; retryAfter: number } | { kind: "stopped"; refusal: Refusal };
}

export type LedgerKind = "reserve" | "refund" | "credit";

export interface LedgerEntry {
  id: string;
  kind: LedgerKind;
  amount: number;
  balance: number;
  messageId: string | null;
  note: string | null;
  createdAt: number;
}

export type BlockEntry = {
  number: string;
  source: BlockSource;
  reason: string | null;
  created_at: number;
};

export type AllowEntry = {
  number: string;
  note: string | null;
  created_at: number;
};

export interface DailyUsage {
  day: string;
  messages: number;
  segments: number;
  spend: number;
}

export interface AccountState {
  balance: number;
  limits: Limits;
  today: DailyUsage & { resetsAt: number };
}
