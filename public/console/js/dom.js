// DOM building without innerHTML: every value from the API goes in as text, never as markup.

export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2).toLowerCase(), value);
    else if (name === "class") el.className = value;
    else if (name in el && !name.includes("-")) el[name] = value;
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  el.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return el;
}

/** Replaces an element's content, skipping absent (null, false) parts. */
export function fill(el, ...children) {
  el.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
}

export const FINAL = ["delivered", "undelivered", "failed", "canceled", "expired"];

export function badge(status) {
  return h("span", { class: `badge badge-${status}` }, status);
}

export function when(iso) {
  if (!iso) return "—";
  const date = new Date(iso);
  return h("time", { datetime: iso, title: iso }, date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" }));
}

export function money(micro, currency) {
  return (micro / 1_000_000).toLocaleString(undefined, { style: "currency", currency, minimumFractionDigits: 2, maximumFractionDigits: 4 });
}

export function percent(rate) {
  return rate === null || rate === undefined ? "—" : `${(rate * 100).toFixed(1)}%`;
}

export function duration(ms) {
  if (ms === null || ms === undefined) return "—";
  if (ms < 60_000) return `≤ ${ms / 1000} s`;
  if (ms < 3_600_000) return `≤ ${ms / 60_000} min`;
  return `≤ ${ms / 3_600_000} h`;
}

/** A table with a caption and column headers; `rows` are arrays of cells. */
export function table(caption, headers, rows) {
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      {},
      h("caption", {}, caption),
      h("thead", {}, h("tr", {}, headers.map((label) => h("th", { scope: "col" }, label)))),
      h("tbody", {}, rows.length ? rows.map((cells) => h("tr", {}, cells.map((cell) => h("td", {}, cell)))) : h("tr", {}, h("td", { colSpan: headers.length }, "Nothing yet."))),
    ),
  );
}

export function errorBox(error) {
  return h("div", { class: "error", role: "alert" }, h("strong", {}, "Error: "), error.message);
}
