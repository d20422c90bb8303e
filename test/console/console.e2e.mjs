// End-to-end tests of the web console in headless Chromium (the build the @sparticuz/chromium npm package
// ships, so `npm ci` brings it; CHROMIUM_PATH picks another), driven by playwright-core, against a real
// `wrangler dev`: its own port and database, stopped when the tests end.
// UPDATE_SCREENSHOTS=1 also writes a screenshot of each page to docs/console/.
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import packagedChromium from "@sparticuz/chromium";
import { chromium } from "playwright-core";
import { root, startGateway } from "../../scripts/local-server.mjs";

// The packaged build unpacks itself (into the system's temporary folder) on first use.
const CHROMIUM = process.env.CHROMIUM_PATH ?? (await packagedChromium.executablePath());
// The machine's network is closed: without these, Chromium keeps trying Google's hosts. As root it needs no sandbox.
const CHROMIUM_ARGS = ["--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-sandbox"];
const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === "1" ? join(root, "docs", "console") : null;
const TO = "+14155550123";

let gateway;
let browser;
let key;

async function admin(path, body, method = "POST") {
  const response = await fetch(gateway.base + path, {
    method,
    headers: { authorization: `Bearer ${gateway.vars.ADMIN_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  assert.ok(response.ok, `${path}: ${response.status} ${await response.clone().text()}`);
  return response.json();
}

async function asTenant(path, body) {
  const response = await fetch(gateway.base + path, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify(body) });
  assert.ok(response.ok, `${path}: ${response.status} ${await response.clone().text()}`);
  return response.json();
}

async function shot(page, name) {
  if (!SCREENSHOTS) return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

async function signIn(page) {
  await page.goto(`${gateway.base}/console/`);
  await page.getByLabel("API key").fill(key);
  await page.getByLabel("API key").press("Enter");
  await page.getByRole("heading", { level: 1, name: "Overview" }).waitFor();
}

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: unset CHROMIUM_PATH to use the packaged Chromium`);
  gateway = await startGateway();
  const tenant = await admin("/v1/admin/tenants", { name: "Console e2e" });
  await admin(`/v1/admin/tenants/${tenant.id}/credit`, { amount: 25_000_000 });
  key = (await admin(`/v1/admin/tenants/${tenant.id}/keys`, { mode: "test" })).key;
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  gateway?.stop();
});

describe("web console", () => {
  it("signs in with a key kept in session storage only, and refuses a wrong one", async () => {
    const page = await browser.newPage();
    await page.goto(`${gateway.base}/console/`);
    await shot(page, "sign-in");
    await page.getByLabel("API key").fill("sk_test_not_a_key");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").filter({ hasText: "That key was not accepted." }).waitFor();

    await page.getByLabel("API key").fill(key);
    await page.getByLabel("API key").press("Enter");
    await page.getByRole("heading", { level: 1, name: "Overview" }).waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.length), 1);
    assert.equal(await page.evaluate(() => localStorage.length), 0);
    assert.equal(await page.evaluate(() => document.cookie), "");
    await page.getByText("Balance:").getByText("$25.00").waitFor();

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { level: 1, name: "Sign in" }).waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.length), 0);
    await page.close();
  });

  it("sends a test message, watches it reach delivered, opens its timeline, and counts it in the charts", async () => {
    const page = await browser.newPage();
    await signIn(page);
    await page.getByRole("link", { name: "Send" }).click();
    await page.getByLabel("To").fill(TO);
    await page.getByLabel("Message").fill("Hello from the console");
    await shot(page, "send");
    await page.getByRole("button", { name: "Send" }).click();

    // The message page follows it until it is final.
    await page.waitForURL(/#\/messages\/msg_/);
    const id = page.url().split("/").pop();
    await page.locator("#message-details").getByText("delivered", { exact: true }).waitFor({ timeout: 30_000 });
    const timeline = page.locator(".timeline li");
    assert.deepEqual(await timeline.evaluateAll((items) => items.map((li) => li.dataset.status)), ["queued", "sending", "sent", "delivered"]);
    await shot(page, "message");

    // In the list, with a filter; the row opens the timeline.
    await page.getByRole("link", { name: "Messages", exact: true }).click();
    await page.getByLabel("Status").selectOption("delivered");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.getByRole("link", { name: id }).waitFor();
    await shot(page, "messages");
    await page.getByRole("link", { name: id }).click();
    await page.getByRole("heading", { level: 1, name: `Message ${id}` }).waitFor();

    await page.getByRole("link", { name: "Overview" }).click();
    await page.getByRole("heading", { level: 1, name: "Overview" }).waitFor();
    assert.equal(await page.locator('[data-figure="submitted"] dd').textContent(), "1");
    assert.equal(await page.locator('[data-figure="delivered"] dd').textContent(), "1");
    assert.equal(await page.locator('[data-figure="delivery_rate"] dd').textContent(), "100.0%");
    const bars = await page.locator(".chart .bar").evaluateAll((groups) => groups.map((g) => [Number(g.dataset.submitted), Number(g.dataset.delivered)]));
    assert.deepEqual(bars.filter(([submitted]) => submitted > 0), [[1, 1]]);
    assert.equal(await page.locator(".chart .dot").count(), 1);
    await shot(page, "overview");
    await page.close();
  });

  it("shows a located error for a bad number and sends nothing", async () => {
    const page = await browser.newPage();
    await signIn(page);
    await page.goto(`${gateway.base}/console/#/send`);
    await page.getByLabel("To").fill("12345");
    await page.getByLabel("Message").fill("nope");
    await page.getByRole("button", { name: "Send" }).click();
    await page.getByRole("alert").waitFor();
    assert.equal(await page.getByLabel("To").getAttribute("aria-invalid"), "true");
    assert.match(page.url(), /#\/send$/);
    await page.close();
  });

  it("shows batches with their progress and templates with their review status", async () => {
    const template = await asTenant("/v1/templates", { name: "Welcome", type: "notification", body: "Hi {name}, welcome aboard." });
    const batch = await asTenant("/v1/batches", { name: "November welcome", type: "notification", body: "Welcome!", recipients: [{ to: "+14155550124" }, { to: "+14155550125" }] });
    const page = await browser.newPage();
    await signIn(page);
    await page.getByRole("link", { name: "Batches" }).click();
    await page.getByRole("link", { name: "November welcome" }).waitFor();
    await page.getByText("2 of 2").waitFor({ timeout: 20_000 }).catch(async () => {
      await page.reload();
      await page.getByText("2 of 2").waitFor({ timeout: 20_000 });
    });
    await shot(page, "batches");
    await page.getByRole("link", { name: "November welcome" }).click();
    await page.getByRole("heading", { level: 1, name: "Batch November welcome" }).waitFor();
    await shot(page, "batch");
    assert.equal(batch.name, "November welcome");

    await page.getByRole("link", { name: "Templates" }).click();
    const row = page.getByRole("row").filter({ hasText: template.name });
    await row.getByText("pending_review", { exact: true }).waitFor();
    await shot(page, "templates");
    await page.close();
  });

  it("works by keyboard alone and fits a phone screen", async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    await page.goto(`${gateway.base}/console/`);
    await page.getByRole("heading", { level: 1, name: "Sign in" }).waitFor();
    const focused = () => page.evaluate(() => document.activeElement?.id || document.activeElement?.textContent?.trim() || document.activeElement?.tagName);
    // The key field has focus on arrival.
    assert.equal(await focused(), "api-key");
    await page.keyboard.type(key);
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { level: 1, name: "Overview" }).waitFor();
    // Focus moves to the new page's heading.
    assert.equal(await page.evaluate(() => document.activeElement?.tagName), "H1");
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), "no sideways scrolling");
    await shot(page, "overview-phone");

    // Tab to "Send" in the navigation, then fill and submit the form without a pointer.
    for (let i = 0; i < 20 && (await focused()) !== "Send"; i++) await page.keyboard.press("Tab");
    assert.equal(await focused(), "Send");
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { level: 1, name: "Send a message" }).waitFor();
    await page.keyboard.press("Tab");
    assert.equal(await focused(), "send-to");
    await page.keyboard.type("+14155550126");
    await page.keyboard.press("Tab");
    await page.keyboard.type("Sent by keyboard");
    await page.keyboard.press("Tab"); // type
    await page.keyboard.press("Tab"); // the button
    await page.keyboard.press("Enter");
    await page.waitForURL(/#\/messages\/msg_/);
    await page.getByRole("heading", { level: 1, name: /^Message msg_/ }).waitFor();
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), "no sideways scrolling on a message");
    await shot(page, "message-phone");
    await page.close();
  });
});
