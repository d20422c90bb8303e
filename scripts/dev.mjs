// `npm run dev`: the whole gateway on http://127.0.0.1:8787 with local D1, Queues and cron.
// Creates .dev.vars from the example, applies migrations, starts `wrangler dev`, then makes sure a
// local dev tenant with a test key exists and prints a curl command that sends a message.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { devVars, migrateAll, root, waitForHealth, wrangler } from "./local-server.mjs";

const DEV_NUMBER = "+14155550100";

const HOST = "127.0.0.1";
const PORT = Number(process.env.PORT ?? 8787);
const BASE = `http://${HOST}:${PORT}`;
const STATE = join(root, ".wrangler", "dev-tenant.json");

async function api(path, { token, body, method = body ? "POST" : "GET" } = {}) {
  const response = await fetch(BASE + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: response.status, json: await response.json().catch(() => null) };
}

/** The dev tenant's key is kept beside the local database, so it lives exactly as long as the data. */
async function ensureDevTenant(adminToken) {
  if (existsSync(STATE)) {
    const saved = JSON.parse(readFileSync(STATE, "utf8"));
    if ((await api("/v1/keys", { token: saved.key })).status === 200) return saved;
  }
  const tenant = await api("/v1/admin/tenants", { token: adminToken, body: { name: "Local dev tenant" } });
  if (tenant.status !== 201) throw new Error(`creating the dev tenant failed: ${JSON.stringify(tenant.json)}`);
  const key = await api(`/v1/admin/tenants/${tenant.json.id}/keys`, { token: adminToken, body: { mode: "test" } });
  if (key.status !== 201) throw new Error(`creating the dev key failed: ${JSON.stringify(key.json)}`);
  const saved = { tenant_id: tenant.json.id, key: key.json.key };
  mkdirSync(dirname(STATE), { recursive: true });
  writeFileSync(STATE, JSON.stringify(saved, null, 2));
  return saved;
}

const { ADMIN_TOKEN } = devVars();
// The control database and every shard (wrangler.toml's [[d1_databases]]) get every migration.
if (!migrateAll([], { stdio: "inherit" })) process.exit(1);

const child = spawn(wrangler, ["dev", "--ip", HOST, "--port", String(PORT), ...process.argv.slice(2)], {
  cwd: root,
  stdio: "inherit",
  env: { WRANGLER_SEND_METRICS: "false", ...process.env },
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code) => process.exit(code ?? 0));

try {
  await waitForHealth(BASE, child);
  const { tenant_id, key } = await ensureDevTenant(ADMIN_TOKEN);
  // Replies to this number reach the dev tenant (npm run simulate:reply); assigning it again is harmless.
  const assigned = await api(`/v1/admin/tenants/${tenant_id}/numbers`, { token: ADMIN_TOKEN, body: { number: DEV_NUMBER } });
  if (assigned.status >= 300) console.warn(`assigning ${DEV_NUMBER} to the dev tenant failed: ${JSON.stringify(assigned.json)}`);
  console.log(`
  SMS gateway running at ${BASE}   (API reference: ${BASE}/docs)
  Dev tenant ${tenant_id}, test API key (the simulator carrier; never charged):

    export SMS_KEY=${key}

  Send a message:

    curl -s ${BASE}/v1/messages -H "Authorization: Bearer $SMS_KEY" \\
      -H "Content-Type: application/json" -d '{"to": "+14155550123", "body": "Hello from the gateway"}'

  Then follow it (delivered within seconds): curl -s ${BASE}/v1/messages/<id> -H "Authorization: Bearer $SMS_KEY"
  A handset's reply to the tenant's number ${DEV_NUMBER} (STOP opts out, START back in, HELP is answered):

    npm run simulate:reply -- +14155550123 STOP

  The cron (stuck-message sweeper) is fired every minute by this script.
`);
  // wrangler dev does not run Cron Triggers by itself; fire ours as the platform would.
  setInterval(() => fetch(`${BASE}/cdn-cgi/local/scheduled?cron=${encodeURIComponent("* * * * *")}`).catch(() => {}), 60_000).unref();
} catch (error) {
  console.error(String(error));
  child.kill("SIGTERM");
}
