// `BENCH_ONLY=scale npm run bench`, issue 17's figures for docs/SCALING.md:
// - bytes a message takes on its shard, with its events, parts, receipt and webhook deliveries and tries: a
//   batch of SCALE_MESSAGES to a tenant with a webhook endpoint (a sink in this process), and to one without, delivered through
//   the simulator, every status event posted. The gateway is stopped before and after (so SQLite folds its WAL
//   into the database file) and the shard's file is measured both times;
// - D1 round trips and statements a message on that path (GET /v1/admin/d1-calls);
// - the retention job's deletion rate: the same messages, past a one-day retention, deleted by cron runs fired
//   with a clock two days ahead (/cdn-cgi/local/scheduled?time=), in bounded chunks, timed until none is left.
// Its own `wrangler dev` on 127.0.0.1, its own throwaway databases, stopped by process group.
import { createServer } from "node:http";
import { readdirSync, rmSync } from "node:fs";
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import { startGateway } from "../scripts/local-server.mjs";
import { BENCH_LIMITS, post } from "./load.mjs";

const MESSAGES = Number(process.env.SCALE_MESSAGES ?? 5_000);
const DAY = 86_400_000;

/**
 * The bytes each local D1 database uses, once wrangler has stopped: its WAL folded in (a checkpoint), then the
 * pages in use (all pages less the free list), so neither an unfolded WAL nor pages freed by deletes count.
 */
function databaseFiles(persist) {
  const dir = join(persist, "v3", "d1", "miniflare-D1DatabaseObject");
  const used = (file) => {
    const db = new DatabaseSync(file);
    try {
      db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
      const pragma = (name) => Object.values(db.prepare(`PRAGMA ${name}`).get())[0];
      return (pragma("page_count") - pragma("freelist_count")) * pragma("page_size");
    } finally {
      db.close();
    }
  };
  return Object.fromEntries(
    readdirSync(dir)
      .filter((name) => name.endsWith(".sqlite"))
      .map((name) => [name, used(join(dir, name))]),
  );
}

async function waitFor(what, check, timeoutMs = 600_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000}s`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

export async function scaleBench() {
  // With a webhook endpoint (two status events delivered a message) and without (the send path alone).
  await measure({ webhooks: true });
  await measure({ webhooks: false });
}

async function measure({ webhooks }) {
  // The webhook sink: answers 204 to every delivery and counts them.
  let posts = 0;
  const sink = createServer((request, response) => {
    request.resume();
    request.on("end", () => {
      posts += 1;
      response.writeHead(204).end();
    });
  });
  await new Promise((resolve) => sink.listen(0, "127.0.0.1", resolve));
  const sinkUrl = `http://127.0.0.1:${sink.address().port}/hook`;

  // 1. A tenant with its endpoint and one message (the tables' first pages exist), then stopped: the "before".
  let gateway = await startGateway({ keepPersist: true, workerVars: { ENVIRONMENT: "development" } });
  const persist = gateway.persist;
  const token = gateway.vars.ADMIN_TOKEN;
  const { id: tenantId } = await post(gateway.base, "/v1/admin/tenants", token, { name: "bench scale" });
  const shard = (await (await fetch(`${gateway.base}/v1/admin/tenants/${tenantId}`, { headers: { authorization: `Bearer ${token}` } })).json()).shard;
  await post(gateway.base, `/v1/admin/tenants/${tenantId}`, token, { limits: BENCH_LIMITS }, "PATCH");
  const key = (await post(gateway.base, `/v1/admin/tenants/${tenantId}/keys`, token, { mode: "test" })).key;
  if (webhooks) await post(gateway.base, "/v1/webhooks", key, { url: sinkUrl, events: ["message.status"] });
  const warm = await post(gateway.base, "/v1/messages", key, { to: "+14155550100", body: "warm-up" });
  await waitFor("warm-up delivered", async () => {
    const state = await (await fetch(`${gateway.base}/v1/messages/${warm.id}`, { headers: { authorization: `Bearer ${key}` } })).json();
    return state.status === "delivered" && (!webhooks || posts >= 2);
  }, 60_000);
  gateway.stop();
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const before = databaseFiles(persist);

  // 2. MESSAGES through a batch, delivered, every status event posted to the sink; round trips counted.
  gateway = await startGateway({ persistDir: persist, keepPersist: true, workerVars: { ENVIRONMENT: "development" } });
  await post(gateway.base, "/v1/admin/d1-calls", token, {});
  // Distinct US numbers ending 5555 (the simulator delivers those): 8 area codes × 800 exchanges.
  const areas = ["415", "628", "650", "510", "408", "212", "646", "917"];
  const recipients = Array.from({ length: MESSAGES }, (_, i) => ({ to: `+1${areas[i % 8]}${200 + Math.floor(i / 8)}5555` }));
  const postsBefore = posts;
  const started = Date.now();
  const batch = await post(gateway.base, "/v1/batches", key, { type: "notification", body: "Your parcel A-1042 ships today. Track it in the app.", recipients });
  await waitFor("batch delivered", async () => {
    const state = await (await fetch(`${gateway.base}/v1/batches/${batch.id}`, { headers: { authorization: `Bearer ${key}` } })).json();
    return state.counts?.delivered === MESSAGES;
  });
  if (webhooks) await waitFor("webhooks posted", async () => posts - postsBefore >= 2 * MESSAGES);
  const seconds = (Date.now() - started) / 1000;
  const calls = await (await fetch(`${gateway.base}/v1/admin/d1-calls`, { headers: { authorization: `Bearer ${token}` } })).json();
  gateway.stop();
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const after = databaseFiles(persist);

  // 3. Retention: one day, and cron runs two days on until every message is gone.
  gateway = await startGateway({ persistDir: persist, keepPersist: true, workerVars: { ENVIRONMENT: "development" } });
  await post(gateway.base, `/v1/admin/tenants/${tenantId}`, token, { retention_days: 1 }, "PATCH");
  const left = async () => (await (await fetch(`${gateway.base}/v1/messages?limit=1`, { headers: { authorization: `Bearer ${key}` } })).json()).data.length;
  let runs = 0;
  let cronMs = 0;
  while ((await left()) > 0 && runs < 200) {
    const t0 = Date.now();
    const response = await fetch(`${gateway.base}/cdn-cgi/local/scheduled?cron=${encodeURIComponent("* * * * *")}&time=${Date.now() + 2 * DAY}`);
    await response.text();
    cronMs += Date.now() - t0;
    runs += 1;
  }
  gateway.stop();
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const purged = databaseFiles(persist);
  sink.close();

  const grown = Object.entries(after).map(([file, size]) => ({ file, bytes: size - (before[file] ?? 0) })).sort((a, b) => b.bytes - a.bytes);
  const shardGrowth = grown[0];
  console.log(`\nScale (issue 17): ${MESSAGES} messages to a tenant on ${shard}, ${webhooks ? "with a webhook endpoint on message.status" : "no webhook endpoint"}`);
  console.log(`  batch to delivered${webhooks ? " and every event posted" : ""}: ${seconds.toFixed(1)} s`);
  console.log("  bytes in use grown, per database (the largest is the tenant's shard; the control database holds the simulator's log):");
  for (const { file, bytes } of grown) console.log(`    ${file.slice(0, 12)}…  +${bytes}`);
  console.log(`  bytes a message on the shard: ${(shardGrowth.bytes / MESSAGES).toFixed(0)}`);
  console.log(`  D1 round trips: ${calls.count} (${(calls.count / MESSAGES).toFixed(4)} a message); statements: ${calls.statements} (${(calls.statements / MESSAGES).toFixed(3)} a message)`);
  console.log(`  after retention, pages in use on the shard: ${purged[shardGrowth.file] - before[shardGrowth.file] >= 0 ? "+" : ""}${purged[shardGrowth.file] - before[shardGrowth.file]} bytes against the start (freed pages are reused, not returned)`);
  console.log(`  retention: ${MESSAGES} messages deleted in ${runs} cron runs, ${(cronMs / 1000).toFixed(2)} s of cron time: ${(MESSAGES / (cronMs / 1000)).toFixed(0)} messages a second`);
  rmSync(persist, { recursive: true, force: true });
}
