/**
 * "host:port" strings and IP bytes. memberlist carries a node's IP as raw
 * bytes on the wire (4 bytes for IPv4, 16 for IPv6) and addresses transports
 * with "host:port" strings ("[v6]:port" for IPv6), as Go's net.JoinHostPort.
 */
import { isIP, isIPv4 } from "node:net";

/** Split "host:port" or "[v6]:port". Throws when there is no valid port. */
export function splitHostPort(addr: string): { host: string; port: number } {
  let host: string;
  let portText: string;
  if (addr.startsWith("[")) {
    const close = addr.indexOf("]");
    if (close < 0 || addr[close + 1] !== ":") throw new Error(`address ${addr}: missing port`);
    host = addr.slice(1, close);
    portText = addr.slice(close + 2);
  } else {
    const colon = addr.lastIndexOf(":");
    if (colon < 0 || addr.indexOf(":") !== colon) throw new Error(`address ${addr}: missing port`);
    host = addr.slice(0, colon);
    portText = addr.slice(colon + 1);
  }
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 0xffff) throw new Error(`address ${addr}: invalid port`);
  return { host, port };
}

/** "host:port", with brackets around an IPv6 host. */
export function joinHostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** True when `s` names a port ("h:p", "[v6]:p"); a bare IPv6 address has none. */
export function hasPort(s: string): boolean {
  if (s.startsWith("[")) return s.lastIndexOf(":") > s.lastIndexOf("]");
  return s.split(":").length === 2;
}

/** Add `defaultPort` when `s` has no port (memberlist's ensurePort). */
export function ensurePort(s: string, defaultPort: number): string {
  if (hasPort(s)) return s;
  return joinHostPort(s.replace(/^\[|\]$/g, ""), defaultPort);
}

/** IP text to wire bytes: 4 bytes for IPv4, 16 for IPv6. Throws for anything else. */
export function ipToBytes(ip: string): Uint8Array {
  if (isIPv4(ip)) return Uint8Array.from(ip.split(".").map(Number));
  if (isIP(ip) !== 6) throw new Error(`not an IP address: ${ip}`);
  const text = ip.split("%")[0]!;
  // Each side of "::" as 16-bit groups; a dotted IPv4 tail counts as two groups.
  const groupsOf = (part: string): number[] => {
    if (part === "") return [];
    const out: number[] = [];
    for (const g of part.split(":")) {
      if (g.includes(".")) {
        const v4 = g.split(".").map(Number);
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else {
        out.push(parseInt(g, 16));
      }
    }
    return out;
  };
  const gap = text.indexOf("::");
  const head = groupsOf(gap < 0 ? text : text.slice(0, gap));
  const tail = gap < 0 ? [] : groupsOf(text.slice(gap + 2));
  const groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

/** Wire bytes to IP text (an IPv4-mapped IPv6 address prints as IPv4, as Go does). */
export function bytesToIp(b: Uint8Array | null): string {
  if (b === null || b.length === 0) return "";
  if (b.length === 4) return Array.from(b).join(".");
  if (b.length !== 16) throw new Error(`IP address must be 4 or 16 bytes, got ${b.length}`);
  const mapped = b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
  if (mapped) return Array.from(b.subarray(12)).join(".");
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((b[2 * i]! << 8) | b[2 * i + 1]!);
  // Compress the longest run of two or more zero groups (RFC 5952).
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLen).join(":")}`;
}

/** True when two byte strings are equal; nil and empty compare equal, as Go's bytes.Equal. */
export function bytesEqual(a: Uint8Array | null, b: Uint8Array | null): boolean {
  const x = a ?? EMPTY;
  const y = b ?? EMPTY;
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

const EMPTY = new Uint8Array(0);
