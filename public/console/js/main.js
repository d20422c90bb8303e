// The console's shell: signs in, routes on the URL hash, keeps the balance in the header current.
import { api, ApiProblem, session } from "./api.js";
import { errorBox, money } from "./dom.js";
import * as views from "./views.js";

const main = document.getElementById("main");
const header = document.querySelector(".top");
const announcer = document.getElementById("announce");
let cleanup = null;

const ROUTES = [
  [/^\/overview$/, (params) => views.overview(main, params)],
  [/^\/messages$/, (params) => views.messages(main, params)],
  [/^\/messages\/([\w-]+)$/, (params, id) => views.message(main, { id }, { announce })],
  [/^\/send$/, () => views.send(main)],
  [/^\/batches$/, () => views.batches(main)],
  [/^\/batches\/([\w-]+)$/, (params, id) => views.batch(main, { id })],
  [/^\/templates$/, () => views.templates(main)],
];

function announce(text) {
  announcer.textContent = text;
}

async function refreshBalance() {
  try {
    const account = await api("/v1/account");
    document.getElementById("balance").textContent = money(account.balance, account.currency);
  } catch (error) {
    if (error instanceof ApiProblem && error.status === 401) signOut();
  }
}

function signOut() {
  session.clear();
  location.hash = "#/";
  route();
}

async function route() {
  cleanup?.();
  cleanup = null;
  const [path, search = ""] = location.hash.replace(/^#/, "").split("?");
  if (!session.key) {
    header.hidden = true;
    views.signIn(main, { onSignedIn: () => (location.hash = "#/overview") });
    main.querySelector("input")?.focus();
    return;
  }
  header.hidden = false;
  document.getElementById("mode").textContent = session.mode === "live" ? "Live" : "Test mode";
  const match = ROUTES.map(([pattern, view]) => [path.match(pattern), view]).find(([m]) => m);
  if (!match) {
    location.replace("#/overview");
    return;
  }
  for (const link of document.querySelectorAll("nav a")) {
    if (path.startsWith(link.getAttribute("href").slice(1))) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  const [m, view] = match;
  main.setAttribute("aria-busy", "true");
  try {
    cleanup = (await view(Object.fromEntries(new URLSearchParams(search)), ...m.slice(1))) ?? null;
  } catch (error) {
    if (error instanceof ApiProblem && error.status === 401) return signOut();
    main.replaceChildren(errorBox(error));
  } finally {
    main.removeAttribute("aria-busy");
  }
  // Move focus to the new page's heading, so keyboard and screen-reader users start there.
  main.querySelector("h1")?.focus();
  document.title = `${main.querySelector("h1")?.textContent ?? "Console"} · SMS Gateway`;
}

document.getElementById("sign-out").addEventListener("click", signOut);
window.addEventListener("hashchange", () => {
  route();
  refreshBalance();
});
route();
if (session.key) refreshBalance();
