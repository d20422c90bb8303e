import { createDb, type Db } from "./client";

/**
 * Shards: the D1 databases that hold what tenants own (messages and all hung on them, batches, templates,
 * senders, contacts, inbound, webhooks, stats, alert rules). The control database (`DB`) holds what no one
 * tenant owns and says which shard each tenant is on (`tenants.shard`). docs/SCALING.md has the why.
 */

/** The control database's binding; tenants created before sharding stay on it, as a shard. */
export const CONTROL = "DB";

/** Shard names go into carriers' client references (Vonage allows 40 characters; a message id is 30). */
const SHARD_NAME = /^[A-Z][A-Z0-9_]{0,8}$/;

const isD1 = (value: unknown): value is D1Database => typeof (value as D1Database | undefined)?.prepare === "function";

function binding(env: Env, name: string): D1Database | undefined {
  const value = (env as unknown as Record<string, unknown>)[name];
  return SHARD_NAME.test(name) && isD1(value) ? value : undefined;
}

const listed = (value: string | undefined) =>
  (value ?? "")
    .split(",")
    .map((name) => name.trim())
    .filter(Boolean);

/**
 * Every shard this deployment reaches, from `SHARDS` (binding names, in order): what the cron, receipts, erasure
 * and the meters' reconciliation work on. A shard stays here as long as any tenant is on it, full or not.
 */
export function shardNames(env: Env): string[] {
  const names = listed(env.SHARDS);
  const missing = names.filter((name) => !binding(env, name));
  if (missing.length > 0) throw new Error(`SHARDS names ${missing.join(", ")}, which is not a D1 binding of this Worker`);
  return names.length > 0 ? names : [CONTROL];
}

/**
 * The shards new tenants are placed on, from `PLACEMENT_SHARDS` (all of `SHARDS` when unset). Taking a full shard
 * out of placement is this setting alone: its tenants, its cron and its receipts go on as before. A name here
 * that is not in `SHARDS` is a configuration error, thrown rather than guessed around.
 */
export function placementShards(env: Env): string[] {
  const all = shardNames(env);
  const names = listed(env.PLACEMENT_SHARDS);
  if (names.length === 0) return all;
  const unknown = names.filter((name) => !all.includes(name));
  if (unknown.length > 0) throw new Error(`PLACEMENT_SHARDS names ${unknown.join(", ")}, which is not in SHARDS`);
  return names;
}

/** Whether a name (from a queue job or a carrier's reference) is a shard this Worker can reach. */
export function isShard(env: Env, name: string): boolean {
  return name === CONTROL ? true : shardNames(env).includes(name);
}

/** A tenant's shard, which must be one this deployment reaches: an unknown one throws instead of reading elsewhere. */
export function reachableShard(env: Env, name: string): string {
  if (!isShard(env, name)) throw new Error(`Shard ${name} is not in SHARDS: its tenants' data cannot be reached`);
  return name;
}

/** A handle on one shard. Made per use, so a test's D1 observer sees its calls (drizzle's wrapper is cheap). */
export function shardDb(env: Env, name: string): Db {
  const d1 = binding(env, name);
  if (!d1) throw new Error(`No shard ${name}`);
  return createDb(d1);
}

export function controlDb(env: Pick<Env, "DB">): Db {
  return createDb(env.DB);
}

const STAMPED_QUEUES = ["SEND_QUEUE", "BATCH_QUEUE", "WEBHOOK_QUEUE"] as const;

/** A queue whose every job names the shard its work is on, so the consumer opens that database. */
function stamped(queue: Queue, shard: string): Queue {
  return {
    send: (body: unknown, options?: QueueSendOptions) => queue.send({ ...(body as object), shard }, options),
    sendBatch: (messages: Iterable<MessageSendRequest>, options?: QueueSendBatchOptions) =>
      queue.sendBatch(
        [...messages].map((message) => ({ ...message, body: { ...(message.body as object), shard } })),
        options,
      ),
  } as Queue;
}

const scopes = new WeakMap<Env, Map<string, Env>>();

/**
 * The Worker's bindings as one shard's work sees them: its send, batch and webhook jobs carry the shard's
 * name. Everything else (the control database, the meter, secrets) is the same.
 */
export function shardEnv(env: Env, shard: string): Env {
  let byShard = scopes.get(env);
  if (!byShard) scopes.set(env, (byShard = new Map()));
  let scoped = byShard.get(shard);
  if (!scoped) {
    scoped = { ...env } as Env;
    for (const name of STAMPED_QUEUES) (scoped as unknown as Record<string, Queue>)[name] = stamped(env[name], shard);
    byShard.set(shard, scoped);
  }
  return scoped;
}

/** One shard's handle and bindings, for a consumer batch's or a cron run's work on it. */
export interface ShardScope {
  shard: string;
  db: Db;
  env: Env;
}

export function shardScope(env: Env, shard: string): ShardScope {
  return { shard, db: shardDb(env, shard), env: shardEnv(env, shard) };
}

/**
 * Every database that may hold tenants' data, for operator views, cron jobs and receipts that name no shard:
 * the shards in `SHARDS` order, then the control database, where tenants from before sharding stay (on a
 * fresh deployment its tenant tables are empty, and each read of them costs an index probe).
 */
export function everyShard(env: Env): ShardScope[] {
  const names = shardNames(env);
  return [...names, ...(names.includes(CONTROL) ? [] : [CONTROL])].map((shard) => shardScope(env, shard));
}

/** Runs `read` on every shard at once (each is its own database) and returns the results in shard order. */
async function acrossShards<T>(env: Env, read: (scope: ShardScope) => Promise<T>): Promise<T[]> {
  return Promise.all(everyShard(env).map(read));
}

/**
 * A carrier's client reference for one of our messages: the message id and its shard, so a receipt finds
 * its database with no lookup. (Messages sent before sharding gave the bare id.)
 */
export function clientReference(shard: string, messageId: string): string {
  return `${messageId}.${shard}`;
}

/** A reference back from a carrier: the message id, and its shard when the reference names one. */
export function readReference(reference: string): { messageId: string; shard: string | null } {
  const dot = reference.lastIndexOf(".");
  if (dot < 0) return { messageId: reference, shard: null };
  const shard = reference.slice(dot + 1);
  return SHARD_NAME.test(shard) ? { messageId: reference.slice(0, dot), shard } : { messageId: reference, shard: null };
}

/**
 * A page merged from every shard: each gives its first `limit + 1` in the page's order, and the merge keeps
 * the first `limit + 1` of all (one more than the page, so the caller knows whether a next page exists).
 */
export async function mergedPage<T>(env: Env, limit: number, read: (db: Db) => Promise<T[]>, before: (a: T, b: T) => number): Promise<T[]> {
  const pages = await acrossShards(env, (scope) => read(scope.db));
  return pages
    .flat()
    .sort(before)
    .slice(0, limit + 1);
}

/**
 * An operator's action on one thing by id (a template, a sender) whose tenant the id does not name: tried
 * on every shard, and the one shard that has it answers. `missing(error)` says an error means "not here".
 */
export async function onShardHolding<T>(env: Env, act: (db: Db) => Promise<T>, missing: (error: unknown) => boolean): Promise<T> {
  let notHere: unknown = null;
  for (const scope of everyShard(env)) {
    try {
      return await act(scope.db);
    } catch (error) {
      if (!missing(error)) throw error;
      notHere = error;
    }
  }
  throw notHere;
}

/** A shard's raw D1 binding (for code outside drizzle, such as the meter's reconciler). */
export function shardBinding(env: Env, name: string): D1Database {
  const d1 = binding(env, name);
  if (!d1) throw new Error(`No shard ${name}`);
  return d1;
}
