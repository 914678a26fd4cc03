// Address parsing for the firewall. nft itself would reject a malformed
// address, but only after the whole batch was sent and with a message about
// "internal:0:0"; parsing here gives a clear error naming the field, a
// canonical text form (so "10.1.0.5/24" and "10.1.0.0/24" are the same set
// element, and "2001:DB8::0:1" equals "2001:db8::1" when diffing), and the
// byte form needed to detect overlapping subnets, which nft interval sets
// refuse.
import { isIPv4, isIPv6 } from "node:net";

/** An IP address in canonical text form, with its family. */
export interface IPAddress {
  family: 4 | 6;
  /** Canonical text: dotted quad for v4, RFC 5952 compressed lower-case for v6. */
  text: string;
  bytes: Uint8Array;
}

/** A subnet with the host bits cleared. */
export interface IPSubnet {
  family: 4 | 6;
  /** Network address in canonical text form. */
  address: string;
  prefixLength: number;
  bytes: Uint8Array;
  /** "address/prefixLength", canonical. */
  text: string;
}

/** Parses an IPv4 or IPv6 address (no zone index); throws naming `what` if invalid. */
export function parseIP(input: string, what = "address"): IPAddress {
  if (isIPv4(input)) {
    const bytes = Uint8Array.from(input.split(".").map(Number));
    return { family: 4, text: formatIPv4(bytes), bytes };
  }
  if (isIPv6(input) && !input.includes("%")) {
    const bytes = parseIPv6Bytes(input);
    return { family: 6, text: formatIPv6(bytes), bytes };
  }
  throw new Error(`invalid ${what} ${JSON.stringify(input)}: not an IPv4 or IPv6 address`);
}

/** Parses "addr/len", clearing host bits; throws naming `what` if invalid. */
export function parseSubnet(input: string, what = "subnet"): IPSubnet {
  const slash = input.indexOf("/");
  if (slash < 0) throw new Error(`invalid ${what} ${JSON.stringify(input)}: expected address/prefix-length`);
  const addr = parseIP(input.slice(0, slash), what);
  const lenText = input.slice(slash + 1);
  const max = addr.family === 4 ? 32 : 128;
  const prefixLength = /^\d{1,3}$/.test(lenText) ? Number(lenText) : NaN;
  if (!(prefixLength >= 0 && prefixLength <= max)) {
    throw new Error(`invalid ${what} ${JSON.stringify(input)}: prefix length must be 0..${max}`);
  }
  const bytes = maskBytes(addr.bytes, prefixLength);
  const address = addr.family === 4 ? formatIPv4(bytes) : formatIPv6(bytes);
  return { family: addr.family, address, prefixLength, bytes, text: `${address}/${prefixLength}` };
}

/** True when the two subnets share at least one address (same family only). */
export function subnetsOverlap(a: IPSubnet, b: IPSubnet): boolean {
  if (a.family !== b.family) return false;
  const shorter = Math.min(a.prefixLength, b.prefixLength);
  const ma = maskBytes(a.bytes, shorter);
  const mb = maskBytes(b.bytes, shorter);
  return ma.every((byte, i) => byte === mb[i]);
}

/** True for 0.0.0.0 and ::, the "all addresses" wildcards. */
export function isUnspecified(addr: IPAddress): boolean {
  return addr.bytes.every((b) => b === 0);
}

function maskBytes(bytes: Uint8Array, prefixLength: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const bits = Math.max(0, Math.min(8, prefixLength - i * 8));
    out[i] = (bytes[i] ?? 0) & ((0xff << (8 - bits)) & 0xff);
  }
  return out;
}

function formatIPv4(bytes: Uint8Array): string {
  return Array.from(bytes).join(".");
}

// isIPv6 already validated the syntax, so this only has to turn an embedded
// dotted quad into two hex groups and expand "::".
function parseIPv6Bytes(input: string): Uint8Array {
  let text = input.toLowerCase();
  const lastColon = text.lastIndexOf(":");
  const lastPart = text.slice(lastColon + 1);
  if (lastPart.includes(".")) {
    const [a = 0, b = 0, c = 0, d = 0] = lastPart.split(".").map(Number);
    text = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const parse = (s: string): number[] => (s === "" ? [] : s.split(":").map((h) => parseInt(h, 16)));
  const [head = "", rest] = text.split("::");
  let groups = parse(head);
  if (rest !== undefined) {
    const right = parse(rest);
    groups = [...groups, ...new Array<number>(8 - groups.length - right.length).fill(0), ...right];
  }
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    bytes[i * 2] = (g >> 8) & 0xff;
    bytes[i * 2 + 1] = g & 0xff;
  });
  return bytes;
}

// RFC 5952: lower case, no leading zeros, the longest run (>= 2) of zero
// groups replaced by "::", the first such run on a tie.
function formatIPv6(bytes: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
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
  const left = hex.slice(0, bestStart).join(":");
  const right = hex.slice(bestStart + bestLen).join(":");
  return `${left}::${right}`;
}
