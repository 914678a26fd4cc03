/**
 * IP prefixes (CIDRs) as values: family, network address as a BigInt, and
 * prefix length. Used for pool bookkeeping (overlap, containment, splitting),
 * which is rare next to address allocation, so BigInt is fine here.
 */
import { InvalidCidrError } from "../ipamapi/errors.js";
import { type IpFamily, familyWidth, formatIp, parseIp } from "./ip-address.js";

export interface Prefix {
  readonly family: IpFamily;
  /** The network address (host bits cleared). */
  readonly addr: bigint;
  /** The prefix length, 0..32 or 0..128. */
  readonly bits: number;
}

/** Number of host bits of the prefix. */
export function hostBits(p: Prefix): number {
  return familyWidth(p.family) - p.bits;
}

/** Number of addresses in the prefix. */
export function prefixSize(p: Prefix): bigint {
  return 1n << BigInt(hostBits(p));
}

/** The last address of the prefix (broadcast for IPv4). */
export function prefixLast(p: Prefix): bigint {
  return p.addr + prefixSize(p) - 1n;
}

function maskOf(family: IpFamily, bits: number): bigint {
  const width = familyWidth(family);
  return ((1n << BigInt(width)) - 1n) ^ ((1n << BigInt(width - bits)) - 1n);
}

/** A prefix from an address and length, host bits cleared. */
export function makePrefix(family: IpFamily, addr: bigint, bits: number): Prefix {
  return { family, addr: addr & maskOf(family, bits), bits };
}

/**
 * Parse "a.b.c.d/n" or "x::/n". Host bits are cleared, as libnetwork does with
 * --subnet 172.18.0.5/16. Throws InvalidCidrError.
 */
export function parsePrefix(s: string): Prefix {
  const slash = s.indexOf("/");
  if (slash < 0) throw new InvalidCidrError(s, "missing prefix length");
  const ip = parseIp(s.slice(0, slash));
  if (ip === undefined) throw new InvalidCidrError(s, "bad address");
  const lenText = s.slice(slash + 1);
  if (!/^(0|[1-9][0-9]{0,2})$/.test(lenText)) throw new InvalidCidrError(s, "bad prefix length");
  const bits = Number(lenText);
  if (bits > familyWidth(ip.family)) throw new InvalidCidrError(s, "prefix length too long");
  return makePrefix(ip.family, ip.value, bits);
}

/** parsePrefix that returns undefined instead of throwing. */
export function tryParsePrefix(s: string): Prefix | undefined {
  try {
    return parsePrefix(s);
  } catch {
    return undefined;
  }
}

export function prefixToString(p: Prefix): string {
  return `${formatIp({ family: p.family, value: p.addr })}/${p.bits}`;
}

export function prefixesOverlap(a: Prefix, b: Prefix): boolean {
  return a.family === b.family && a.addr <= prefixLast(b) && b.addr <= prefixLast(a);
}

/** Whether `inner` lies entirely inside `outer`. */
export function prefixContains(outer: Prefix, inner: Prefix): boolean {
  return outer.family === inner.family && inner.bits >= outer.bits && (inner.addr & maskOf(outer.family, outer.bits)) === outer.addr;
}

export function prefixContainsAddress(p: Prefix, family: IpFamily, value: bigint): boolean {
  return p.family === family && value >= p.addr && value <= prefixLast(p);
}

export function prefixEquals(a: Prefix, b: Prefix): boolean {
  return a.family === b.family && a.addr === b.addr && a.bits === b.bits;
}

/** Order by family, then address, then length (shorter first). */
export function comparePrefixes(a: Prefix, b: Prefix): number {
  if (a.family !== b.family) return a.family - b.family;
  if (a.addr !== b.addr) return a.addr < b.addr ? -1 : 1;
  return a.bits - b.bits;
}
