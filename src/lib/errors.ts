import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** Every error the API can answer with: the stable machine code, its HTTP status and title. */
export const ERRORS = {
  malformed_json: { status: 400, title: "Malformed JSON" },
  nonce_reused: { status: 400, title: "Signature nonce already used" },
  unauthorized: { status: 401, title: "Unauthorized" },
  invalid_signature: { status: 401, title: "Invalid webhook signature" },
  insufficient_balance: { status: 402, title: "Insufficient balance" },
  sandbox_recipient_not_allowed: { status: 403, title: "Recipient not allowed in the sandbox" },
  insufficient_scope: { status: 403, title: "The key's scopes do not allow this" },
  test_key_read_only: { status: 403, title: "Test keys cannot change what live traffic uses" },
  not_found: { status: 404, title: "Not found" },
  idempotency_in_progress: { status: 409, title: "Request with this idempotency key in progress" },
  edit_conflict: { status: 409, title: "Changed by another request" },
  review_not_pending: { status: 409, title: "Not waiting for review" },
  already_exists: { status: 409, title: "Already exists" },
  not_cancelable: { status: 409, title: "Cannot be canceled" },
  message_in_progress: { status: 409, title: "Message not final yet" },
  in_use: { status: 409, title: "In use" },
  payload_too_large: { status: 413, title: "Payload too large" },
  unsupported_media_type: { status: 415, title: "Unsupported media type" },
  validation_failed: { status: 422, title: "Validation failed" },
  invalid_number: { status: 422, title: "Invalid phone number" },
  number_not_sms_capable: { status: 422, title: "Number cannot receive SMS" },
  body_too_long: { status: 422, title: "Message body too long" },
  idempotency_mismatch: { status: 422, title: "Idempotency key reused with a different request" },
  template_not_approved: { status: 422, title: "Template not approved" },
  sender_not_approved: { status: 422, title: "Sender not approved" },
  content_blocked: { status: 422, title: "Content blocked" },
  recipient_blocked: { status: 422, title: "Recipient blocked" },
  recipient_opted_out: { status: 422, title: "Recipient opted out" },
  allowlist_full: { status: 422, title: "Allow list full" },
  limit_exceeded: { status: 422, title: "Limit exceeded" },
  rate_limited: { status: 429, title: "Rate limit exceeded" },
  quota_exceeded: { status: 429, title: "Daily quota exceeded" },
  recipient_frequency_capped: { status: 429, title: "Too many messages to this recipient" },
  internal_error: { status: 500, title: "Internal server error" },
  dependency_unavailable: { status: 503, title: "A dependency is unavailable" },
  live_sending_unconfigured: { status: 503, title: "Live sending is not configured" },
} as const satisfies Record<string, { status: ContentfulStatusCode; title: string }>;

export type ErrorCode = keyof typeof ERRORS;

export interface FieldError {
  path: string;
  message: string;
}

/** The one error type: thrown anywhere, rendered as application/problem+json in src/lib/problem.ts. */
export class ApiError extends HTTPException {
  readonly code: ErrorCode;
  readonly errors?: FieldError[];
  readonly extra?: Record<string, unknown>;
  /** Response headers that belong to the error, e.g. `Retry-After`. */
  readonly headers?: Record<string, string>;

  constructor(
    code: ErrorCode,
    detail: string,
    options: { errors?: FieldError[]; extra?: Record<string, unknown>; headers?: Record<string, string> } = {},
  ) {
    super(ERRORS[code].status, { message: detail });
    this.code = code;
    this.errors = options.errors;
    this.extra = options.extra;
    this.headers = options.headers;
  }
}

/** A tenant has as many of something as it may have: 422 `limit_exceeded`, naming the limit. */
export function limitExceeded(what: string, max: number): ApiError {
  return new ApiError("limit_exceeded", `A tenant may have at most ${max} ${what}; delete one first.`, { extra: { max } });
}
