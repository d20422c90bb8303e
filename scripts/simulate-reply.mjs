// `npm run simulate:reply -- <from> <text> [to]`: a handset's reply, posted to the local gateway the way
// the simulator carrier posts it (signed per Standard Webhooks with SIMULATOR_WEBHOOK_SECRET).
// `to` defaults to the dev tenant's number, so `npm run simulate:reply -- +14155550123 STOP` opts out.
import { createHmac, randomUUID } from "node:crypto";
import { devVars } from "./local-server.mjs";

const DEV_NUMBER = "+14155550100";
const BASE = `http://127.0.0.1:${process.env.PORT ?? 8787}`;

const [from, text, to = DEV_NUMBER] = process.argv.slice(2);
if (!from || text === undefined) {
  console.error("usage: npm run simulate:reply -- <from> <text> [to]");
  process.exit(2);
}
const secret = Buffer.from(devVars().SIMULATOR_WEBHOOK_SECRET.replace(/^whsec_/, ""), "base64");
const body = JSON.stringify({ from, to, text, received_at: new Date().toISOString() });
const id = `evt_${randomUUID()}`;
const timestamp = Math.floor(Date.now() / 1000);
const signature = createHmac("sha256", secret).update(`${id}.${timestamp}.${body}`).digest("base64");
const response = await fetch(`${BASE}/webhooks/simulator/inbound`, {
  method: "POST",
  headers: { "content-type": "application/json", "webhook-id": id, "webhook-timestamp": String(timestamp), "webhook-signature": `v1,${signature}` },
  body,
});
console.log(response.status, await response.text());
