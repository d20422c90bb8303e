/** Whether an IPv4 address (dotted quad) is private, loopback, link-local, CGNAT or otherwise not public. */
function privateIPv4(host: string): boolean {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (!m) return false;
  const [a, b] = [Number(m[1]), Number(m[2])];
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 198 && (b === 18 || b === 19)) ||
    a >= 224
  );
}

function privateIPv6(host: string): boolean {
  if (!host.startsWith("[")) return false;
  const ip = host.slice(1, -1).toLowerCase();
  // IPv4-mapped addresses (the URL parser writes them in hex: ::ffff:7f00:1) are refused whole.
  return ip === "::" || ip === "::1" || ip.startsWith("::ffff:") || /^f[cd]/.test(ip) || /^fe[89ab]/.test(ip) || ip.startsWith("ff");
}

const INTERNAL_SUFFIXES = [".localhost", ".local", ".internal", ".home.arpa"];

/**
 * Why a tenant's webhook URL is refused, or null. It must be https to a public host: no loopback, private,
 * link-local or internal name or address (the URL parser already turns `http://2130706433` into 127.0.0.1).
 * In development, http://localhost and http://127.0.0.1 are allowed too, for a receiver on the laptop.
 */
export function webhookUrlProblem(raw: string, development: boolean): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "must be an absolute URL";
  }
  const host = url.hostname.toLowerCase();
  if (development && url.protocol === "http:" && (host === "localhost" || host === "127.0.0.1")) return null;
  if (url.protocol !== "https:") return development ? "must be https (or http://localhost, http://127.0.0.1 in development)" : "must be https";
  if (url.username || url.password) return "must not carry credentials";
  if (host === "localhost" || INTERNAL_SUFFIXES.some((s) => host.endsWith(s)) || privateIPv4(host) || privateIPv6(host)) {
    return "must not point at a private, loopback or internal address";
  }
  if (!host.includes(".")) return "must name a public host";
  return null;
}
