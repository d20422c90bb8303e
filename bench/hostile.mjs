// `BENCH_ONLY=hostile npm run bench` (and the end of a full `npm run bench`), issue 16's figures:
// - the cost of screening: a send by a tenant with 20 content rules of kind `pattern` (run on RE2) against the
//   same send by a tenant with none, at 1 and 50 connections;
// - the request log's cost: the same floor and send on a second gateway whose request log is off
//   (LOG_LEVEL=warn), against the first (LOG_LEVEL=info, as deployed).
// Each gateway is its own `wrangler dev` on 127.0.0.1 with its own database, stopped by its process group.
import { startGateway } from "../scripts/local-server.mjs";
import { BENCH_LIMITS, load, post } from "./load.mjs";

// What a tenant that screens its own traffic writes: words in context, links, amounts, look-alikes.
const PATTERNS = [
  "loan\\s*approved", "free\\s+(iphone|gift|prize)", "bit\\.ly/\\w+", "tinyurl\\.com/\\w+", "win\\s+\\$?\\d+",
  "claim\\s+(now|today)", "(crypto|bitcoin)\\s+(bonus|giveaway)", "verify\\s+your\\s+account", "click\\s+here",
  "\\b\\d{4}[- ]\\d{4}[- ]\\d{4}[- ]\\d{4}\\b", "urgent(ly)?\\s+reply", "(?:casino|betting)\\s+\\w+", "pay\\s*pal",
  "account\\s+(suspended|locked)", "limited\\s+time\\s+offer", "\\bSSN\\b", "wire\\s+transfer", "gift\\s*card",
  "(?:viagra|cialis)", "unsubscribe\\s+at\\s+\\S+",
];

export async function hostileBench() {
  const logged = await startGateway({});
  const quiet = await startGateway({ workerVars: { LOG_LEVEL: "warn" } });
  try {
    const tenant = async (base, token, name) => {
      const { id } = await post(base, "/v1/admin/tenants", token, { name });
      await post(base, `/v1/admin/tenants/${id}`, token, { limits: BENCH_LIMITS }, "PATCH");
      return (await post(base, `/v1/admin/tenants/${id}/keys`, token, { mode: "test" })).key;
    };
    const plain = await tenant(logged.base, logged.vars.ADMIN_TOKEN, "bench plain");
    const screened = await tenant(logged.base, logged.vars.ADMIN_TOKEN, "bench screened");
    const quietKey = await tenant(quiet.base, quiet.vars.ADMIN_TOKEN, "bench quiet");
    await post(logged.base, "/v1/content-rules", screened, { rules: PATTERNS.map((value, i) => ({ label: `rule ${i + 1}`, kind: "pattern", value })) }, "PUT");
    // A body none of the rules blocks: every rule runs on it, both ways (folded and skeleton).
    const body = JSON.stringify({ to: "+14155550123", body: "Hi Ann, your order A-1042 (3 items) ships today from Acme Oakland. Track it in the app." });
    const send = (base, key) => ({ url: `${base}/v1/messages`, method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body });
    for (const [base, key] of [[logged.base, plain], [logged.base, screened], [quiet.base, quietKey]]) await fetch(send(base, key).url, send(base, key));

    // A run's sends are still going through the queues when it ends: let them finish before the next run.
    const settle = async () => {
      for (let waited = 0; waited < 60_000; waited += 500) {
        const busy = [];
        for (const [base, key] of [[logged.base, plain], [logged.base, screened], [quiet.base, quietKey]]) {
          for (const status of ["queued", "sending", "sent"]) {
            const page = await fetch(`${base}/v1/messages?status=${status}&limit=1`, { headers: { authorization: `Bearer ${key}` } });
            busy.push((await page.json()).data.length > 0);
          }
        }
        if (!busy.some(Boolean)) return;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    };
    const rows = [];
    for (const connections of [1, 50]) {
      const floor = `logged @${connections}`;
      const quietFloor = `quiet @${connections}`;
      rows.push(await load("GET /health/live (request log on)", { url: `${logged.base}/health/live`, connections, floor }));
      // ABBA: each kind of send runs once early and once late, so warm-up and drift weigh on both alike.
      for (const [name, key] of [["no content rules", plain], ["20 pattern rules", screened], ["20 pattern rules", screened], ["no content rules", plain]]) {
        await settle();
        rows.push(await load(`POST /v1/messages, ${name}`, { ...send(logged.base, key), connections, floor }));
      }
      await settle();
      rows.push(await load("GET /health/live (request log off)", { url: `${quiet.base}/health/live`, connections, floor: quietFloor }));
      rows.push(await load("POST /v1/messages, no content rules (request log off)", { ...send(quiet.base, quietKey), connections, floor: quietFloor }));
      await settle();
    }
    // The mean of a kind's runs at that many connections.
    const rate = (name, connections) => {
      const runs = rows.filter((r) => r.name === name && r.connections === connections);
      return runs.reduce((sum, r) => sum + r.result.requests.average, 0) / runs.length;
    };
    console.log("\nHostile input (issue 16): screening and the request log\n");
    console.log("| run | connections | requests | non-2xx | req/s | p50 ms | p99 ms |");
    console.log("|---|---|---|---|---|---|---|");
    for (const { name, connections, result } of rows) {
      console.log(`| ${name} | ${connections} | ${result.requests.total} | ${result.non2xx + result.errors} | ${result.requests.average.toFixed(0)} | ${result.latency.p50} | ${result.latency.p99} |`);
    }
    console.log("");
    for (const connections of [1, 50]) {
      const screening = rate("POST /v1/messages, 20 pattern rules", connections) / rate("POST /v1/messages, no content rules", connections);
      const floorCost = rate("GET /health/live (request log on)", connections) / rate("GET /health/live (request log off)", connections);
      const sendCost = rate("POST /v1/messages, no content rules", connections) / rate("POST /v1/messages, no content rules (request log off)", connections);
      console.log(
        `At ${connections}: a send with 20 pattern rules runs at ${screening.toFixed(2)} of one without; with the request log on, ` +
          `/health/live runs at ${floorCost.toFixed(2)} and a send at ${sendCost.toFixed(2)} of the same with it off`,
      );
    }
  } finally {
    logged.stop();
    quiet.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await hostileBench();
