// One function per page: each renders into `main` and may return a cleanup (stops its polling).
import { api, ApiProblem, query, session } from "./api.js";
import { rateChart, volumeChart } from "./charts.js";
import { badge, duration, errorBox, fill, FINAL, h, money, percent, table, when } from "./dom.js";

const STATUSES = ["scheduled", "queued", "sending", "sent", "delivered", "undelivered", "failed", "canceled", "expired"];
const POLL_MS = 2000;

function heading(text) {
  return h("h1", { tabIndex: -1 }, text);
}

function field(label, control, hint) {
  const id = control.id;
  return h("div", { class: "field" }, h("label", { htmlFor: id }, label), control, hint ? h("p", { class: "hint", id: `${id}-hint` }, hint) : null);
}

/** Sign in: the key is checked against the API, then kept in session storage only (gone with the tab). */
export function signIn(main, { onSignedIn }) {
  const input = h("input", { id: "api-key", name: "api-key", type: "password", autocomplete: "off", required: true, spellcheck: false, "aria-describedby": "api-key-hint" });
  const message = h("div", { "aria-live": "assertive" });
  const form = h(
    "form",
    { class: "card narrow", onSubmit: async (event) => {
      event.preventDefault();
      message.replaceChildren();
      const key = input.value.trim();
      try {
        await api("/v1/account", { key });
        session.set(key);
        onSignedIn();
      } catch (error) {
        message.replaceChildren(errorBox(error instanceof ApiProblem && error.status === 401 ? new Error("That key was not accepted.") : error));
        input.setAttribute("aria-invalid", "true");
        input.focus();
      }
    } },
    field("API key", input, "sk_test_… or sk_live_…. Kept in this tab's session storage only."),
    h("button", { type: "submit" }, "Sign in"),
    message,
  );
  fill(main, heading("Sign in"), form);
}

const RANGES = {
  "24h": { label: "Last 24 hours", granularity: "hour", ms: 24 * 3_600_000 },
  "7d": { label: "Last 7 days", granularity: "day", ms: 7 * 86_400_000 },
  "30d": { label: "Last 30 days", granularity: "day", ms: 30 * 86_400_000 },
};

/** Overview: balance, the period's totals, and the volume and delivery-rate charts from GET /v1/stats. */
export async function overview(main, { range = "7d" } = {}) {
  const chosen = RANGES[range] ?? RANGES["7d"];
  const tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const to = new Date();
  const from = new Date(to.getTime() - chosen.ms);
  const [account, stats] = await Promise.all([
    api("/v1/account"),
    api(`/v1/stats${query({ from: from.toISOString(), to: to.toISOString(), granularity: chosen.granularity, tz })}`),
  ]);
  const labels = stats.series.map((p) =>
    chosen.granularity === "hour" ? new Date(p.start).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" }) : p.date.slice(5),
  );
  const select = h(
    "select",
    { id: "range", onChange: (e) => (location.hash = `#/overview?range=${e.target.value}`) },
    Object.entries(RANGES).map(([value, r]) => h("option", { value, selected: value === range }, r.label)),
  );
  const t = stats.totals;
  const figure = (label, value, name) => h("div", { class: "figure", "data-figure": name }, h("dt", {}, label), h("dd", {}, value));
  fill(main, 
    heading("Overview"),
    h(
      "section",
      { class: "card", "aria-labelledby": "balance-h" },
      h("h2", { id: "balance-h" }, "Account"),
      h("dl", { class: "figures" }, figure("Balance", money(account.balance, account.currency), "balance"), figure("Sent today", String(account.usage.today.messages), "today")),
    ),
    h("div", { class: "toolbar" }, field("Period", select)),
    h(
      "section",
      { class: "card", "aria-labelledby": "totals-h" },
      h("h2", { id: "totals-h" }, `${chosen.label} (${stats.tz})`),
      h(
        "dl",
        { class: "figures" },
        figure("Submitted", String(t.submitted), "submitted"),
        figure("Delivered", String(t.delivered), "delivered"),
        figure("Failed", String(t.failed + t.undelivered + t.expired), "failed"),
        figure("Delivery rate", percent(t.delivery_rate), "delivery_rate"),
        figure("Latency p50", duration(t.latency_p50_ms), "p50"),
        figure("Latency p95", duration(t.latency_p95_ms), "p95"),
        figure("Cost", money(t.cost, stats.currency), "cost"),
      ),
    ),
    h("section", { class: "card", "aria-labelledby": "volume-h" }, h("h2", { id: "volume-h" }, "Volume"), volumeChart(stats.series, labels), legend()),
    h("section", { class: "card", "aria-labelledby": "rate-h" }, h("h2", { id: "rate-h" }, "Delivery rate"), rateChart(stats.series, labels)),
    h(
      "details",
      { class: "card" },
      h("summary", {}, "The numbers behind the charts"),
      table(
        "Per period",
        ["Period", "Submitted", "Delivered", "Failed", "Delivery rate"],
        stats.series.map((p, i) => [labels[i], String(p.submitted), String(p.delivered), String(p.failed + p.undelivered + p.expired), percent(p.delivery_rate)]),
      ),
    ),
  );
}

function legend() {
  return h(
    "ul",
    { class: "legend" },
    [["delivered", "Delivered"], ["failed", "Failed"], ["other", "Pending or canceled"]].map(([cls, label]) => h("li", {}, h("span", { class: `swatch seg-${cls}`, "aria-hidden": "true" }), label)),
  );
}

/** Messages, newest first, filtered by status and recipient; "Load more" follows the cursor. */
export async function messages(main, { status = "", to = "" } = {}) {
  const statusSelect = h("select", { id: "filter-status", name: "status" }, h("option", { value: "" }, "Any"), STATUSES.map((s) => h("option", { value: s, selected: s === status }, s)));
  const toInput = h("input", { id: "filter-to", name: "to", type: "tel", value: to, placeholder: "+14155550123", autocomplete: "off" });
  const filters = h(
    "form",
    { class: "toolbar", role: "search", onSubmit: (e) => {
      e.preventDefault();
      location.hash = `#/messages${query({ status: statusSelect.value, to: toInput.value.trim() })}`;
    } },
    field("Status", statusSelect),
    field("To", toInput),
    h("button", { type: "submit" }, "Filter"),
  );
  const body = h("tbody");
  const more = h("button", { type: "button", hidden: true }, "Load more");
  let cursor = null;
  const load = async () => {
    const page = await api(`/v1/messages${query({ status, to, cursor, limit: 25 })}`);
    for (const m of page.data) {
      body.append(
        h("tr", {}, h("td", {}, h("a", { href: `#/messages/${m.id}` }, m.id)), h("td", {}, m.to), h("td", {}, badge(m.status)), h("td", {}, m.type), h("td", {}, when(m.created_at))),
      );
    }
    if (!body.children.length) body.append(h("tr", {}, h("td", { colSpan: 5 }, "No messages match.")));
    cursor = page.next_cursor;
    more.hidden = !cursor;
  };
  more.addEventListener("click", () => load().catch((error) => main.append(errorBox(error))));
  await load();
  fill(main, 
    heading("Messages"),
    filters,
    h(
      "div",
      { class: "table-wrap" },
      h("table", {}, h("caption", {}, "Newest first"), h("thead", {}, h("tr", {}, ["Message", "To", "Status", "Type", "Created"].map((l) => h("th", { scope: "col" }, l)))), body),
    ),
    more,
  );
}

/** One message and its timeline, refreshed until its status is final. */
export async function message(main, { id }, { announce }) {
  let timer = null;
  let last = null;
  const render = async () => {
    const m = await api(`/v1/messages/${encodeURIComponent(id)}`);
    if (last && last !== m.status) announce(`Message is now ${m.status}.`);
    last = m.status;
    const fields = [
      ["Status", badge(m.status)],
      ["To", m.to],
      ["From", m.from ?? "—"],
      ["Type", m.type],
      ["Body", m.body],
      ["Segments", `${m.segments} (${m.encoding})`],
      ["Carrier", m.carrier],
      ["Price", money(m.price, m.currency) + (m.refunded ? " (refunded)" : "")],
      ["Error", m.error ? `${m.error.code}: ${m.error.message}` : "—"],
      ["Created", when(m.created_at)],
    ];
    fill(main, 
      heading(`Message ${m.id}`),
      h("p", {}, h("a", { href: "#/messages" }, "← All messages")),
      h("section", { class: "card" }, h("h2", {}, "Details"), h("dl", { class: "details", id: "message-details" }, fields.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]))),
      h(
        "section",
        { class: "card", "aria-labelledby": "timeline-h" },
        h("h2", { id: "timeline-h" }, "Timeline"),
        h(
          "ol",
          { class: "timeline" },
          m.events.map((e) =>
            h(
              "li",
              { "data-status": e.status },
              badge(e.status),
              " ",
              when(e.at),
              e.detail ? h("span", { class: "detail" }, ` — ${e.detail}`) : null,
              e.receipt ? h("details", {}, h("summary", {}, `Receipt from ${e.receipt.carrier}: ${e.receipt.carrier_status}`), h("pre", {}, e.receipt.raw)) : null,
            ),
          ),
        ),
      ),
      FINAL.includes(m.status) ? null : h("p", { class: "hint" }, "Refreshing every few seconds until the message is final."),
    );
    if (!FINAL.includes(m.status)) timer = setTimeout(() => render().catch((error) => main.append(errorBox(error))), POLL_MS);
  };
  await render();
  return () => clearTimeout(timer);
}

/** Send one message; an Idempotency-Key per form makes a double submit send once. */
export function send(main) {
  const idempotencyKey = crypto.randomUUID();
  const to = h("input", { id: "send-to", name: "to", type: "tel", required: true, autocomplete: "off", placeholder: "+14155550123", "aria-describedby": "send-to-hint" });
  const text = h("textarea", { id: "send-body", name: "body", required: true, rows: 4, maxLength: 1600 });
  const type = h("select", { id: "send-type", name: "type" }, ["notification", "otp", "marketing"].map((t) => h("option", { value: t }, t)));
  const message = h("div", { "aria-live": "assertive" });
  const button = h("button", { type: "submit" }, "Send");
  const controls = { to, body: text, type };
  const form = h(
    "form",
    { class: "card narrow", onSubmit: async (event) => {
      event.preventDefault();
      message.replaceChildren();
      for (const control of Object.values(controls)) control.removeAttribute("aria-invalid");
      button.disabled = true;
      try {
        const sent = await api("/v1/messages", { method: "POST", body: { to: to.value.trim(), body: text.value, type: type.value }, headers: { "idempotency-key": idempotencyKey } });
        location.hash = `#/messages/${sent.id}`;
      } catch (error) {
        message.replaceChildren(errorBox(error));
        const list = (error.errors ?? []).map((e) => h("li", {}, `${e.path.replace(/^body\./, "")}: ${e.message}`));
        if (list.length) message.append(h("ul", { class: "error-list" }, list));
        for (const e of error.errors ?? []) controls[e.path.replace(/^body\./, "")]?.setAttribute("aria-invalid", "true");
        if (error.code === "invalid_number") to.setAttribute("aria-invalid", "true");
        button.disabled = false;
      }
    } },
    field("To", to, session.mode === "test" ? "Test keys send through the simulator: numbers are delivered within seconds." : "E.164, e.g. +14155550123."),
    field("Message", text),
    field("Type", type),
    button,
    message,
  );
  fill(main, heading("Send a message"), form);
}

/** Batches with their expansion progress. */
export async function batches(main) {
  const page = await api("/v1/batches?limit=50");
  fill(main, 
    heading("Batches"),
    table(
      "Newest first",
      ["Batch", "Status", "Progress", "Created"],
      page.data.map((b) => {
        const done = b.accepted + b.rejected;
        const total = b.total ?? 0;
        return [
          h("a", { href: `#/batches/${b.id}` }, b.name ?? b.id),
          badge(b.status),
          h("div", { class: "progress" }, h("progress", { max: Math.max(total, 1), value: done, "aria-label": `${b.name ?? b.id} progress` }), ` ${done} of ${b.total ?? "?"}`),
          when(b.created_at),
        ];
      }),
    ),
  );
}

/** One batch: expansion and its messages per status. */
export async function batch(main, { id }) {
  const b = await api(`/v1/batches/${encodeURIComponent(id)}`);
  const counts = b.counts ?? {};
  fill(main, 
    heading(`Batch ${b.name ?? b.id}`),
    h("p", {}, h("a", { href: "#/batches" }, "← All batches")),
    h(
      "section",
      { class: "card" },
      h(
        "dl",
        { class: "details" },
        [["Status", badge(b.status)], ["Recipients", String(b.total ?? "counting…")], ["Accepted", String(b.accepted)], ["Rejected", String(b.rejected)], ["Delivery rate", percent(b.delivery_rate)]].flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]),
      ),
    ),
    table("Messages per status", ["Status", "Messages"], STATUSES.filter((s) => counts[s]).map((s) => [badge(s), String(counts[s])])),
  );
}

/** Templates with their review status. */
export async function templates(main) {
  const page = await api("/v1/templates?limit=100");
  fill(main, 
    heading("Templates"),
    table(
      "Your templates",
      ["Name", "Type", "Review", "Version", "Body"],
      page.data.map((t) => [
        t.name,
        t.type,
        h("span", {}, badge(t.status), t.rejection_reasons?.length ? h("span", { class: "detail" }, ` ${t.rejection_reasons.join("; ")}`) : null),
        `${t.version}${t.approved_version && t.approved_version !== t.version ? ` (live: ${t.approved_version})` : ""}`,
        t.body,
      ]),
    ),
  );
}
