// The meter's own SQLite tables, one set per tenant. Statements are idempotent and run on every start;
// a later change adds statements here rather than editing these.
export const METER_SCHEMA = [
  `CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS buckets (name TEXT PRIMARY KEY, tokens REAL NOT NULL, at INTEGER NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS daily_usage (
     day TEXT PRIMARY KEY, messages INTEGER NOT NULL, segments INTEGER NOT NULL, spend INTEGER NOT NULL)`,
  // One row per admitted send, kept only as long as the longest cap window.
  `CREATE TABLE IF NOT EXISTS recipient_sends (
     message_id TEXT PRIMARY KEY, recipient TEXT NOT NULL, type TEXT NOT NULL, at INTEGER NOT NULL)`,
  `CREATE INDEX IF NOT EXISTS recipient_sends_by_recipient ON recipient_sends (recipient, type, at)`,
  `CREATE INDEX IF NOT EXISTS recipient_sends_by_age ON recipient_sends (at)`,
  // Every balance change. `balance` is the running total after the entry, so the newest row is the
  // balance and the sum of `amount` always equals it. A message has at most one reserve and one refund.
  `CREATE TABLE IF NOT EXISTS ledger (
     seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,
     amount INTEGER NOT NULL, balance INTEGER NOT NULL, message_id TEXT, note TEXT,
     created_at INTEGER NOT NULL, UNIQUE (kind, message_id))`,
  `CREATE TABLE IF NOT EXISTS idempotency (
     key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, message_id TEXT NOT NULL,
     response TEXT NOT NULL, created_at INTEGER NOT NULL)`,
  `CREATE INDEX IF NOT EXISTS idempotency_by_age ON idempotency (created_at)`,
  // Admissions not yet seen in D1; the alarm checks them and releases any whose message was never stored.
  `CREATE TABLE IF NOT EXISTS unconfirmed (message_id TEXT PRIMARY KEY, at INTEGER NOT NULL)`,
  // Numbers in E.164. Blocked numbers get nothing; allowed numbers are the sandbox's recipients and,
  // outside it, are exempt from the per-recipient caps.
  `CREATE TABLE IF NOT EXISTS blocklist (
     number TEXT PRIMARY KEY, source TEXT NOT NULL, reason TEXT, created_at INTEGER NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS allowlist (number TEXT PRIMARY KEY, note TEXT, created_at INTEGER NOT NULL)`,
  // An operator's credit sent with an idempotency key: a retry finds its entry instead of crediting twice.
  `CREATE TABLE IF NOT EXISTS credit_keys (key TEXT PRIMARY KEY, amount INTEGER NOT NULL, entry_id TEXT NOT NULL)`,
  // Signature nonces of Alibaba-signed requests seen in the replay window (src/middleware/alibaba-signature.ts).
  `CREATE TABLE IF NOT EXISTS nonces (key TEXT PRIMARY KEY, at INTEGER NOT NULL)`,
  `CREATE INDEX IF NOT EXISTS nonces_by_age ON nonces (at)`,
  // Answers were once kept with their keys, bodies in clear; a replay now renders the stored message again.
  `UPDATE idempotency SET response = '' WHERE response <> ''`,
];
