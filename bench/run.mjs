// `npm run bench`: POST /v1/messages against GET /health (the floor) on a local `wrangler dev`,
// at concurrency 1 and 50, bounded in count and time. Starts its own wrangler (own port, own
// throwaway database) and stops only that process group.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { devVars, root, waitForHealth, wrangler } from "../scripts/local-server.mjs";
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 3000);
const MAX_SECONDS = Number(process.env.BENCH_MAX_SECONDS ?? 20);

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

async function post(base, path, token, body) {
  const response = await fetch(base + path, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return response.json();
}

function load(name, options) {
  return new Promise((resolve, reject) => {
    const instance = autocannon({ ...options, amount: REQUESTS, timeout: 10 }, (error, result) =>
      error ? reject(error) : resolve({ name, connections: options.connections, result }),
    );
    // The count bounds the run; this bounds its time.
    const timer = setTimeout(() => instance.stop(), MAX_SECONDS * 1000);
    instance.on("done", () => clearTimeout(timer));
  });
}

const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const persist = mkdtempSync(join(tmpdir(), "sms-bench-"));
const token = devVars().ADMIN_TOKEN;
const env = { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false" };

const migrate = spawnSync(wrangler, ["d1", "migrations", "apply", "DB", "--local", "--persist-to", persist], { cwd: root, env, stdio: "ignore" });
if (migrate.status !== 0) throw new Error("applying migrations failed");
// Its own process group, so stopping it stops workerd too and nothing else.
const child = spawn(
  wrangler,
  ["dev", "--ip", "127.0.0.1", "--port", String(port), "--persist-to", persist, "--log-level", "warn"],
  { cwd: root, env, detached: true, stdio: ["ignore", "ignore", "inherit"] },
);
const stop = () => {
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {}
};
process.on("exit", () => {
  stop();
  rmSync(persist, { recursive: true, force: true });
});
process.on("SIGINT", () => process.exit(130));

try {
  await waitForHealth(base, child);
  const tenant = await post(base, "/v1/admin/tenants", token, { name: "bench" });
  const { key } = await post(base, `/v1/admin/tenants/${tenant.id}/keys`, token, { mode: "test" });
  const send = {
    url: `${base}/v1/messages`,
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ to: "+14155550123", body: "Your verification code is 493021" }),
  };
  await post(base, "/v1/messages", key, JSON.parse(send.body)); // warm the isolate and the send path

  const rows = [];
  for (const connections of [1, 50]) {
    const floor = await load("GET /health", { url: `${base}/health`, connections });
    const sendRun = await load("POST /v1/messages", { ...send, connections });
    rows.push(floor, sendRun);
  }

  const cpu = cpus()[0]?.model ?? "unknown CPU";
  console.log(`\nMachine: ${cpus().length} × ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`);
  console.log(`Load: autocannon (in-process Node), ${REQUESTS} requests per run, at most ${MAX_SECONDS}s\n`);
  console.log("| run | connections | requests | non-2xx | req/s | p50 ms | p99 ms | req/s vs floor |");
  console.log("|---|---|---|---|---|---|---|---|");
  for (const { name, connections, result } of rows) {
    const floor = rows.find((r) => r.name === "GET /health" && r.connections === connections).result;
    const ratio = (result.requests.average / floor.requests.average).toFixed(2);
    const done = result.requests.total ?? result["2xx"] + result.non2xx;
    console.log(
      `| ${name} | ${connections} | ${done} | ${result.non2xx + result.errors} | ${result.requests.average.toFixed(0)} | ${result.latency.p50} | ${result.latency.p99} | ${ratio} |`,
    );
  }
} finally {
  stop();
}
