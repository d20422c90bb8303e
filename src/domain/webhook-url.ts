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
    // Reserved: IETF protocol assignments 192.0.0.0/24, documentation 192.0.2.0/24, 198.51.100.0/24 and
    // 203.0.113.0/24, and the retired 6to4 relay anycast 192.88.99.0/24.
    (a === 192 && b === 0 && (Number(m[3]) === 0 || Number(m[3]) === 2)) ||
    (a === 198 && b === 51 && Number(m[3]) === 100) ||
    (a === 203 && b === 0 && Number(m[3]) === 113) ||
    (a === 192 && b === 88 && Number(m[3]) === 99) ||
    a >= 224
  );
}

/** Services whose names resolve to the address written in them, in hexadecimal too (`7f000001.nip.io`). */
const ADDRESS_DNS_SUFFIXES = [".nip.io", ".sslip.io", ".xip.io"];
/** Public names whose every subdomain resolves to 127.0.0.1. */
const LOOPBACK_DOMAINS = ["localtest.me", "lvh.me", "vcap.me", "localho.st"];

/**
 * Whether a name carries a non-public IPv4 address, dotted or dashed (`127.0.0.1.nip.io`, `app-10-0-0-5.sslip.io`):
 * wildcard DNS services answer such names with that address, so the name is as good as the address. Every
 * run of four numbers is read, overlapping runs included.
 */
function namesPrivateIPv4(host: string): boolean {
  for (const m of host.matchAll(/(?<!\d)(?=(\d{1,3})[.-](\d{1,3})[.-](\d{1,3})[.-](\d{1,3})(?!\d))/g)) {
    const octets = m.slice(1, 5).map(Number);
    if (octets.every((o) => o <= 255) && privateIPv4(octets.join("."))) return true;
  }
  if (LOOPBACK_DOMAINS.some((domain) => host === domain || host.endsWith(`.${domain}`))) return true;
  if (ADDRESS_DNS_SUFFIXES.some((suffix) => host.endsWith(suffix))) {
    for (const m of host.matchAll(/(?<![0-9a-f])([0-9a-f]{8})(?![0-9a-f])/g)) {
      const n = parseInt(m[1]!, 16);
      if (privateIPv4([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join("."))) return true;
    }
  }
  return false;
}

/** The eight 16-bit groups of an IPv6 address as the URL parser writes it (no zone), or null. */
function ipv6Groups(ip: string): number[] | null {
  let text = ip;
  // A dotted IPv4 tail (::ffff:1.2.3.4) is two groups.
  const dotted = /^(.*:)(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(2).map(Number) as [number, number, number, number];
    text = `${dotted[1]}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const part = (h: string) => (h === "" ? [] : h.split(":").map((g) => (/^[0-9a-f]{1,4}$/.test(g) ? parseInt(g, 16) : NaN)));
  const head = part(halves[0]!);
  const tail = halves.length === 2 ? part(halves[1]!) : [];
  const fill = halves.length === 2 ? 8 - head.length - tail.length : 0;
  const groups = [...head, ...Array<number>(Math.max(0, fill)).fill(0), ...tail];
  return groups.length === 8 && groups.every((g) => Number.isInteger(g)) ? groups : null;
}

/**
 * Whether an IPv6 host is not a public unicast address: unspecified, loopback, forms that carry an IPv4
 * address inside (IPv4-compatible ::/96, mapped ::ffff:0:0/96, translated ::ffff:0:0:0/96, NAT64
 * 64:ff9b::/96 and 64:ff9b:1::/48, 6to4 2002::/16, Teredo 2001::/32), which could reach a private IPv4
 * host, unique-local fc00::/7, site-local fec0::/10, link-local fe80::/10, discard 100::/64,
 * documentation 2001:db8::/32, multicast ff00::/8. Anything the parser does not read is refused too.
 */
function privateIPv6(host: string): boolean {
  if (!host.startsWith("[")) return false;
  const g = ipv6Groups(host.slice(1, -1).toLowerCase());
  if (!g) return true;
  const zeros = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  return (
    zeros(0, 6) ||
    (zeros(0, 5) && g[5] === 0xffff) ||
    (zeros(0, 4) && g[4] === 0xffff && g[5] === 0) ||
    (g[0] === 0x64 && g[1] === 0xff9b && (zeros(2, 6) || g[2] === 1)) ||
    g[0] === 0x2002 ||
    (g[0] === 0x2001 && (g[1] === 0 || g[1] === 0xdb8)) ||
    (g[0] === 0x100 && zeros(1, 4)) ||
    (g[0]! & 0xfe00) === 0xfc00 ||
    (g[0]! & 0xffc0) === 0xfec0 ||
    (g[0]! & 0xffc0) === 0xfe80 ||
    (g[0]! & 0xff00) === 0xff00
  );
}

const INTERNAL_SUFFIXES = [".localhost", ".local", ".internal", ".home.arpa"];

/**
 * Why a tenant's webhook URL is refused, or null. It must be https to a public host: no loopback, private,
 * link-local, reserved or internal name or address, nor a name that carries such an address (the URL parser
 * already turns `http://2130706433` into 127.0.0.1).
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
  // `localhost.` and `internal.` are the same names as without the dot: refused rather than normalised.
  if (host.endsWith(".")) return "must not end with a dot";
  if (host === "localhost" || INTERNAL_SUFFIXES.some((s) => host.endsWith(s)) || privateIPv4(host) || privateIPv6(host) || namesPrivateIPv4(host)) {
    return "must not point at a private, loopback or internal address";
  }
  if (!host.includes(".") && !host.startsWith("[")) return "must name a public host";
  return null;
}
