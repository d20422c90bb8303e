// Two small SVG charts for the stats API's series: stacked volume bars and the delivery-rate line.
// Each carries an accessible name, a <title> per bucket, and the numbers as data attributes.

const NS = "http://www.w3.org/2000/svg";
// Drawn at the width it is shown at (up to 640 px), so its text stays readable on a phone.
let W = 640;
const H = 200;
const PAD = { top: 10, right: 10, bottom: 24, left: 40 };

function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, String(value));
  el.append(...children);
  return el;
}

function frame(label, description) {
  W = Math.max(300, Math.min(640, window.innerWidth - 48));
  plotWidth = W - PAD.left - PAD.right;
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": label, class: "chart" });
  root.append(svg("desc", {}, description));
  return root;
}

let plotWidth = W - PAD.left - PAD.right;
const plotHeight = H - PAD.top - PAD.bottom;

function axis(root, max, format) {
  for (const f of [0, 0.5, 1]) {
    const y = PAD.top + plotHeight * (1 - f);
    root.append(svg("line", { x1: PAD.left, x2: W - PAD.right, y1: y, y2: y, class: "grid" }));
    root.append(svg("text", { x: PAD.left - 6, y: y + 4, class: "tick", "text-anchor": "end" }, format(max * f)));
  }
}

function xLabels(root, labels, x) {
  const step = Math.max(1, Math.ceil(labels.length / Math.floor(W / 70)));
  labels.forEach((label, i) => {
    if (i % step === 0) root.append(svg("text", { x: x(i), y: H - 6, class: "tick", "text-anchor": "middle" }, label));
  });
}

/** The axis top: twice the smallest 1, 2 or 5 × 10^k step that reaches `n`, so the middle tick is whole too. */
function niceMax(n) {
  for (let power = 1; ; power *= 10) for (const step of [1, 2, 5]) if (2 * step * power >= n) return 2 * step * power;
}

/** x of bucket i: the middle of its band (bars and dots line up across the two charts). */
const bandCenter = (count) => (i) => PAD.left + (plotWidth / Math.max(1, count)) * (i + 0.5);

/** Messages per bucket: delivered, failed (undelivered, failed, expired), and the rest (pending, canceled). */
export function volumeChart(series, labels) {
  const max = niceMax(Math.max(1, ...series.map((p) => p.submitted)));
  const root = frame("Message volume", "Messages submitted per period, split into delivered, failed and other.");
  axis(root, max, (v) => String(Math.round(v)));
  const band = plotWidth / Math.max(1, series.length);
  const x = bandCenter(series.length);
  series.forEach((point, i) => {
    const failed = point.undelivered + point.failed + point.expired;
    const other = point.submitted - point.delivered - failed;
    const group = svg("g", { class: "bar", "data-bucket": labels[i], "data-submitted": point.submitted, "data-delivered": point.delivered });
    group.append(svg("title", {}, `${labels[i]}: ${point.submitted} submitted, ${point.delivered} delivered, ${failed} failed`));
    let base = 0;
    for (const [value, cls] of [[point.delivered, "delivered"], [failed, "failed"], [other, "other"]]) {
      if (value <= 0) continue;
      const height = (value / max) * plotHeight;
      const y = PAD.top + plotHeight - base - height;
      group.append(svg("rect", { x: x(i) - band * 0.35, y, width: band * 0.7, height, class: `seg-${cls}` }));
      base += height;
    }
    root.append(group);
  });
  xLabels(root, labels, x);
  return root;
}

/** Delivery rate per bucket; buckets with nothing finished are gaps. */
export function rateChart(series, labels) {
  const root = frame("Delivery rate", "Delivered as a share of finished messages, per period.");
  axis(root, 1, (v) => `${Math.round(v * 100)}%`);
  const x = bandCenter(series.length);
  const y = (rate) => PAD.top + plotHeight * (1 - rate);
  let path = "";
  series.forEach((point, i) => {
    if (point.delivery_rate === null) return;
    path += `${path ? "L" : "M"}${x(i).toFixed(1)},${y(point.delivery_rate).toFixed(1)}`;
    const dot = svg("circle", { cx: x(i), cy: y(point.delivery_rate), r: 3, class: "dot", "data-bucket": labels[i], "data-rate": point.delivery_rate });
    dot.append(svg("title", {}, `${labels[i]}: ${(point.delivery_rate * 100).toFixed(1)}% delivered`));
    root.append(dot);
  });
  if (path) root.insertBefore(svg("path", { d: path, class: "line" }), root.querySelector(".dot"));
  xLabels(root, labels, x);
  return root;
}
