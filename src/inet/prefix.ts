/**
 * Prefixes (CIDRs) as values: family, network address as a BigInt, and
 * prefix length. For pool and subnet bookkeeping (overlap, containment,
 * ordering, splitting), which is rare next to address allocation, so BigInt
 * is fine here.
 */
import { type IpFamily, type IpValue, familyWidth, formatIpValue, parseIpValue } from "./address.js";

export interface Prefix {
  readonly family: IpFamily;
  /** The network address (host bits cleared). */
  readonly addr: bigint;
  /** The prefix length, 0..32 or 0..128. */
  readonly bits: number;
}

/** "addr/len" read as written (host bits kept), or why it is not a CIDR. */
export type CidrParse = { readonly ip: IpValue; readonly bits: number } | { readonly error: string };

// No sign, no leading zero, at most three digits: "/08" or "/+8" are typos.
const PREFIX_LENGTH = /^(0|[1-9][0-9]{0,2})$/;

/**
 * Reads "a.b.c.d/n" or "x::/n". A failure carries a reason meant to follow
 * the input in a message: "expected address/prefix-length", "not an IPv4 or
 * IPv6 address", "prefix length must be 0..32". Each layer words the rest
 * (IPAM's InvalidCidrError, the firewall's field names, Docker's wording).
 */
export function readCidr(text: string): CidrParse {
  const slash = text.indexOf("/");
  if (slash < 0) return { error: "expected address/prefix-length" };
  const ip = parseIpValue(text.slice(0, slash));
  if (ip === undefined) return { error: "not an IPv4 or IPv6 address" };
  const lenText = text.slice(slash + 1);
  const max = familyWidth(ip.family);
  if (!PREFIX_LENGTH.test(lenText) || Number(lenText) > max) return { error: `prefix length must be 0..${max}` };
  return { ip, bits: Number(lenText) };
}

/**
 * The address of an endpoint's "addr/len" ("10.0.0.2/24" -> "10.0.0.2"); a
 * bare address comes back as it is. Text only: the controller keeps
 * endpoint addresses in CIDR form and the kernel, DNS and plugins want them bare.
 */
export function cidrAddress(cidr: string): string;
export function cidrAddress(cidr: string | undefined): string | undefined;
export function cidrAddress(cidr: string | undefined): string | undefined {
  if (cidr === undefined) return undefined;
  const slash = cidr.indexOf("/");
  return slash < 0 ? cidr : cidr.slice(0, slash);
}

/** The prefix of "addr/len", host bits cleared (as libnetwork does with --subnet 172.18.0.5/16), or undefined. */
export function tryParsePrefix(text: string): Prefix | undefined {
  const r = readCidr(text);
  return "error" in r ? undefined : makePrefix(r.ip.family, r.ip.value, r.bits);
}

function maskOf(family: IpFamily, bits: number): bigint {
  const width = familyWidth(family);
  return ((1n << BigInt(width)) - 1n) ^ ((1n << BigInt(width - bits)) - 1n);
}

/** A prefix from an address and length, host bits cleared. */
export function makePrefix(family: IpFamily, addr: bigint, bits: number): Prefix {
  return { family, addr: addr & maskOf(family, bits), bits };
}

/** Canonical "addr/len". */
export function prefixToString(p: Prefix): string {
  return `${formatIpValue({ family: p.family, value: p.addr })}/${p.bits}`;
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

/** Whether the two share an address; prefixes of different families never do. */
export function prefixesOverlap(a: Prefix, b: Prefix): boolean {
  return a.family === b.family && a.addr <= prefixLast(b) && b.addr <= prefixLast(a);
}

/** Whether `inner` lies entirely inside `outer`. */
export function prefixContains(outer: Prefix, inner: Prefix): boolean {
  return outer.family === inner.family && inner.bits >= outer.bits && (inner.addr & maskOf(outer.family, outer.bits)) === outer.addr;
}

export function prefixContainsIp(p: Prefix, ip: IpValue): boolean {
  return p.family === ip.family && ip.value >= p.addr && ip.value <= prefixLast(p);
}

/** Order by family, then address, then length (shorter first). */
export function comparePrefixes(a: Prefix, b: Prefix): number {
  if (a.family !== b.family) return a.family - b.family;
  if (a.addr !== b.addr) return a.addr < b.addr ? -1 : 1;
  return a.bits - b.bits;
}
