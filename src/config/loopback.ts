import { isIP } from "node:net";

/** One address a host name resolves to, as `dns.promises.lookup(host, { all: true })` gives it. */
export interface ResolvedAddress {
  address: string;
  family: number;
}

export type Lookup = (host: string) => Promise<ResolvedAddress[]>;

export type LoopbackCheck = { loopback: true; addresses: string[] } | { loopback: false; reason: string };

/** 127.0.0.0/8, ::1, and IPv4 loopback written as an IPv4-mapped IPv6 address (::ffff:127.x.y.z). */
export function isLoopbackAddress(address: string): boolean {
  const a = address.replace(/^\[|\]$/g, "");
  if (isIP(a) === 4) return a.startsWith("127.");
  if (isIP(a) !== 6) return false;
  // The URL parser writes every IPv6 spelling one way: ::1, and ::ffff:7fXX:XXXX for 127/8.
  const canonical = new URL(`http://[${a}]`).hostname;
  return canonical === "[::1]" || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(canonical);
}

/**
 * Whether `host` can only ever mean this machine: an address literal is checked as it is; a name
 * is resolved and every address it resolves to must be loopback. A name is not trusted for how
 * it looks (`127.0.0.1.invalid`, `localhost.example.com`), and one that cannot be resolved is
 * not loopback — the reason says why, for the refusal message.
 */
export async function checkLoopback(host: string, lookup: Lookup): Promise<LoopbackCheck> {
  const literal = host.replace(/^\[|\]$/g, "");
  if (isIP(literal) !== 0) {
    return isLoopbackAddress(literal) ? { loopback: true, addresses: [literal] } : { loopback: false, reason: `${host} is not a loopback address` };
  }
  let addresses: ResolvedAddress[];
  try {
    addresses = await lookup(host);
  } catch (e) {
    const code = typeof e === "object" && e !== null && "code" in e ? String(e.code) : e instanceof Error ? e.message : String(e);
    return { loopback: false, reason: `cannot resolve HOST=${host} (${code})` };
  }
  if (addresses.length === 0) return { loopback: false, reason: `HOST=${host} resolves to no address` };
  const outside = addresses.filter((a) => !isLoopbackAddress(a.address)).map((a) => a.address);
  if (outside.length > 0) return { loopback: false, reason: `HOST=${host} resolves to ${outside.join(", ")}, which is not loopback` };
  return { loopback: true, addresses: addresses.map((a) => a.address) };
}
