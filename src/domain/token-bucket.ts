/** A token bucket as stored: tokens left at the moment `at` (Unix ms). */
export interface Bucket {
  tokens: number;
  at: number;
}

export interface BucketRule {
  /** Tokens added per second. */
  rate: number;
  /** Most tokens the bucket holds: the largest burst it allows. */
  burst: number;
}

/** The bucket as of `now`: refilled for the time since it was stored, a new bucket starting full. */
export function refill(bucket: Bucket | null, rule: BucketRule, now: number): Bucket {
  if (!bucket) return { tokens: rule.burst, at: now };
  // A clock that steps back never drains the bucket.
  const elapsedSeconds = Math.max(0, now - bucket.at) / 1000;
  return { tokens: Math.min(rule.burst, bucket.tokens + elapsedSeconds * rule.rate), at: Math.max(now, bucket.at) };
}

export function take(bucket: Bucket, count = 1): Bucket {
  return { tokens: bucket.tokens - count, at: bucket.at };
}

/** Whole seconds, rounded up, until `count` tokens are available (0 if they are now). */
export function secondsUntilAvailable(bucket: Bucket, rule: BucketRule, count = 1): number {
  const missing = count - bucket.tokens;
  return missing <= 0 ? 0 : Math.ceil(missing / rule.rate);
}

/** Whole seconds, rounded up, until the bucket is full again. */
export function secondsUntilFull(bucket: Bucket, rule: BucketRule): number {
  return Math.ceil(Math.max(0, rule.burst - bucket.tokens) / rule.rate);
}
